import { describe, expect, it } from 'vitest';
import { endingSuffix, interimText } from '../../src/reply/reply-text.js';

describe('interimText', () => {
  it('appends the marker to plain text', () => {
    expect(interimText('Hello')).toEqual({ text: 'Hello ⚪', withoutMarker: 'Hello' });
  });

  it('closes an open code block and puts the marker on its own line', () => {
    expect(interimText('```ts\nconst a')).toEqual({ text: '```ts\nconst a\n```\n⚪', withoutMarker: '```ts\nconst a\n```' });
  });

  it('keeps a just-closed fence line clean', () => {
    expect(interimText('```ts\nconst a\n```').text).toBe('```ts\nconst a\n```\n⚪');
  });
});

describe('endingSuffix', () => {
  it('renders notes, interruptions and failures', () => {
    expect(endingSuffix('Answer', { kind: 'complete' })).toBe('');
    expect(endingSuffix('Answer', { kind: 'complete', note: 'the answer hit the token limit' })).toBe('\n\n_the answer hit the token limit_');
    expect(endingSuffix('Answer', { kind: 'interrupt', reason: 'cancelled' })).toBe('\n\n⚠️ interrupted: cancelled');
    expect(endingSuffix('', { kind: 'interrupt', reason: 'cancelled' })).toBe('⚠️ interrupted: cancelled');
    expect(endingSuffix('', { kind: 'fail', message: 'Groq is down.' })).toBe('Groq is down.');
    expect(endingSuffix('', { kind: 'complete' })).toBe('_(empty answer)_');
  });
});
