import { describe, expect, it } from 'vitest';
import { parseHistoryRecords } from '../../src/store/history-records.js';

const user = JSON.stringify({ role: 'user', content: 'two\nlines and "quotes" 😀' });
const assistant = JSON.stringify({ role: 'assistant', content: 'an answer with a space at the end ' });

describe('parseHistoryRecords', () => {
  it('reads "id turn tokens role json" records, keeping the JSON exactly (escaped newlines included)', () => {
    expect(parseHistoryRecords(`3 3 12 user ${user}\n4 3 9 assistant ${assistant}`)).toEqual([
      { id: 3, role: 'user', json: user, tokenCount: 12 },
      { id: 4, role: 'assistant', json: assistant, tokenCount: 9 },
    ]);
    expect(parseHistoryRecords('')).toEqual([]);
  });

  it('accepts replies stored after later questions (prompt order is turn, then id)', () => {
    // Question 5 was asked while the answer to 3 streamed: that answer (id 6) has turn 3.
    const text = [`3 3 1 user ${user}`, `6 3 1 assistant ${assistant}`, `5 5 1 user ${user}`].join('\n');
    expect(parseHistoryRecords(text)?.map((message) => message.id)).toEqual([3, 6, 5]);
  });

  it('refuses records out of (turn, id) order, so the caller reads rows instead', () => {
    expect(parseHistoryRecords(`5 5 1 user ${user}\n3 3 1 user ${user}`)).toBeUndefined();
    expect(parseHistoryRecords(`4 3 1 assistant ${assistant}\n3 3 1 user ${user}`)).toBeUndefined();
    expect(parseHistoryRecords(`3 3 1 user ${user}\n3 3 1 user ${user}`)).toBeUndefined();
  });

  it('refuses malformed records', () => {
    for (const text of [`3 3 user ${user}`, `x 3 1 user ${user}`, `3 3 1.5 user ${user}`, `3 3 1 tool ${user}`, '3 3 1 user', `3 3 1 user ${user}\n`]) {
      expect(parseHistoryRecords(text), text).toBeUndefined();
    }
  });
});
