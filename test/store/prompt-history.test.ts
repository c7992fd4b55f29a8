import type { EncodedPromptMessage, PromptHistoryPart, PromptMessage } from '../../src/store/types.js';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationRepository } from '../../src/store/conversation-repository.js';
import { fitToBudget, type FittedPrompt } from '../../src/tokens/prompt-budget.js';
import { createTempStore, type TempStore } from './temp-store.js';

/**
 * The history as of a user turn: later user turns (queued behind it) are left out, while answers stay,
 * ordered by the turn they answer (the repository orders them so).
 */
function historyUpTo(messages: PromptMessage[], userMessageId: number): PromptMessage[] {
  const result: PromptMessage[] = [];
  let current: PromptMessage | undefined;
  for (const message of messages) {
    if (message.id === userMessageId) current = message;
    else if (message.role === 'assistant' || message.id < userMessageId) result.push(message);
  }
  if (current) result.push(current);
  return result;
}

const model = 'openai/gpt-oss-20b';
let store: TempStore;
let repository: ConversationRepository;
let conversationId: number;
let next = 0;

beforeEach(() => {
  store = createTempStore();
  repository = store.repository;
  conversationId = repository.findOrCreateActiveConversation({ platform: 'discord', workspaceId: 'G', channelId: 'D', threadKey: 'D' }).id;
});
afterEach(() => store.dispose());

function ask(content: string, inPrompt = true): number {
  next += 1;
  const result = repository.appendUserMessage({
    conversationId,
    platform: 'discord',
    channelId: 'D',
    content,
    authorId: 'U',
    platformMessageId: `m${next}`,
    inPrompt,
    model,
  });
  if (result.status !== 'stored') throw new Error('not stored');
  return result.message.id;
}

function answer(question: number | undefined, content: string, status: 'complete' | 'failed' | 'interrupted' = 'complete'): number {
  const reply = repository.startAssistantReply(conversationId, model, question);
  repository.finishAssistantReply(reply.id, { status, content });
  return reply.id;
}

/** Every prompt turn, cut to the turn being answered, fitted, and each turn serialised as the request would. */
function reference(systemTokens: number, budget: number, upToMessageId?: number): FittedPrompt<EncodedPromptMessage> {
  const all = repository.listPromptMessages(conversationId);
  const history = upToMessageId === undefined ? all : historyUpTo(all, upToMessageId);
  const fitted = fitToBudget({ systemTokens, history, budget });
  const messages = fitted.messages.map(({ id, role, content, tokenCount }) => ({ id, role, json: JSON.stringify({ role, content }), tokenCount }));
  return { ...fitted, messages };
}

/** A store that hears every statement it runs, with one Slack thread of `pairs` questions, each answered. */
function recordedConversation(pairs: number): { recorded: TempStore; statements: string[]; id: number; newest: number } {
  const statements: string[] = [];
  const recorded = createTempStore({ onStatement: (sql) => statements.push(sql) });
  const store = recorded.repository;
  const id = store.findOrCreateActiveConversation({ platform: 'slack', workspaceId: 'T', channelId: 'C', threadKey: '1.0' }).id;
  let newest = 0;
  for (let turn = 0; turn < pairs; turn += 1) {
    const asked = store.appendUserMessage({ conversationId: id, platform: 'slack', channelId: 'C', content: `question ${turn}`, authorId: 'U', platformMessageId: `${turn}.1`, model });
    if (asked.status !== 'stored') throw new Error('not stored');
    newest = asked.message.id;
    store.finishAssistantReply(store.startAssistantReply(id, model, newest).id, { status: 'complete', content: `answer ${turn}` });
  }
  return { recorded, statements, id, newest };
}

/** SQLite's query plan for `sql`, one step per line. */
function planOf(reader: Database.Database, sql: string, parameters: unknown[]): string {
  return reader
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...parameters)
    .map((row) => (row as { detail: string }).detail)
    .join('\n');
}

/** The fitted turns' JSON in order, as a request gets it: single turns joined, a run as it is. */
function joinedJson(messages: readonly PromptHistoryPart[]): string {
  return messages.map((message) => ('run' in message ? message.run : message.json)).join(',');
}

/** What a request gets from a fitted history, whether the turns came one by one or as a run. */
function asSent(fitted: FittedPrompt<PromptHistoryPart>): { json: string; turns: number; droppedCount: number; totalTokens: number } {
  const turns = fitted.messages.reduce((sum, message) => sum + ('run' in message ? message.count : 1), 0);
  return { json: joinedJson(fitted.messages), turns, droppedCount: fitted.droppedCount, totalTokens: fitted.totalTokens };
}

function contentsOf(fitted: FittedPrompt<PromptHistoryPart>): unknown[] {
  return (JSON.parse(`[${joinedJson(fitted.messages)}]`) as Array<{ content: unknown }>).map((message) => message.content);
}

describe('fitPromptHistory', () => {
  it('gives the same prompt as listing everything and fitting it, for every budget', () => {
    const questions: number[] = [];
    for (let turn = 0; turn < 12; turn += 1) {
      const question = ask(`question ${turn}: ${'why '.repeat(turn * 3)}`);
      questions.push(question);
      if (turn === 4) answer(question, 'this one failed', 'failed');
      else if (turn === 7) answer(question, 'half an ans', 'interrupted');
      else answer(question, `answer ${turn} ${'because '.repeat(turn)}`);
      if (turn === 5) ask('too long to keep', false);
    }
    const systemTokens = 17;
    const everything = reference(systemTokens, 1_000_000).totalTokens;
    const newestTokens = repository.listPromptMessages(conversationId).at(-1)!.tokenCount;
    for (let budget = systemTokens + newestTokens; budget <= everything + 5; budget += 7) {
      expect(asSent(repository.fitPromptHistory(conversationId, { systemTokens, budget })), `budget ${budget}`).toEqual(asSent(reference(systemTokens, budget)));
    }
  });

  it('answers a queued question: later user turns stay out, answers stay in order, the question goes last', () => {
    const first = ask('first question');
    const second = ask('second question, queued');
    const third = ask('third question, queued too');
    answer(first, 'first answer');
    const fitted = repository.fitPromptHistory(conversationId, { systemTokens: 10, budget: 10_000, upToMessageId: second });
    expect(contentsOf(fitted)).toEqual(['first question', 'first answer', 'second question, queued']);
    expect(asSent(fitted)).toEqual(asSent(reference(10, 10_000, second)));
    expect(fitted.droppedCount).toBe(0);
    // A reply that answered a later question is history for an earlier one still waiting (cancel mode).
    answer(third, 'third answer');
    expect(asSent(repository.fitPromptHistory(conversationId, { systemTokens: 10, budget: 10_000, upToMessageId: second }))).toEqual(asSent(reference(10, 10_000, second)));
    const tight = reference(10, 10 + 30, second);
    expect(asSent(repository.fitPromptHistory(conversationId, { systemTokens: 10, budget: 40, upToMessageId: second }))).toEqual(asSent(tight));
  });

  it('fits a question not stored yet exactly as if it were stored last, short and paged histories alike', () => {
    const content = 'the new question, answered before it is stored';
    const tokens = store.tokenCounter.countMessage(model, 'user', content);
    for (const turns of [12, 600]) {
      for (let turn = 0; turn < turns; turn += 1) {
        const question = ask(`question ${turn}: ${'why '.repeat(turn % 9)}`);
        if (turn % 5 === 4) answer(question, 'this one failed', 'failed');
        else answer(question, `answer ${turn} ${'because '.repeat(turn % 7)}`);
      }
      const systemTokens = 11;
      const everything = reference(systemTokens, 1_000_000).totalTokens + tokens;
      const budgets: number[] = [];
      for (let budget = systemTokens + tokens - 1; budget <= everything + 5; budget += Math.max(3, Math.floor(everything / 60))) budgets.push(budget);
      budgets.push(everything);
      const fit = (budget: number, options: { newTurnTokens?: number; upToMessageId?: number }) => {
        try {
          return repository.fitPromptHistory(conversationId, { systemTokens, budget, ...options });
        } catch (error) {
          return (error as { code?: string }).code ?? String(error);
        }
      };
      const unstored = budgets.map((budget) => fit(budget, { newTurnTokens: tokens }));
      const stored = ask(content);
      expect(repository.getMessage(stored)?.tokenCount).toBe(tokens);
      for (const [index, budget] of budgets.entries()) {
        const asStored = fit(budget, { upToMessageId: stored });
        const expected = typeof asStored === 'string' ? asStored : { ...asStored, messages: asStored.messages.slice(0, -1) };
        expect(unstored[index], `${turns} turns, budget ${budget}`).toEqual(expected);
      }
      expect(unstored[0]).toBe('message_too_large');
      expect(unstored.at(-1)).toMatchObject({ droppedCount: 0 });
    }
  });

  it('reports dropped turns and throws message_too_large like fitToBudget', () => {
    for (let turn = 0; turn < 30; turn += 1) answer(ask(`question ${turn}`), `answer ${turn}`);
    const newest = ask('the newest question');
    const fitted = repository.fitPromptHistory(conversationId, { systemTokens: 5, budget: 60, upToMessageId: newest });
    expect(fitted.droppedCount).toBeGreaterThan(0);
    expect(contentsOf(fitted).at(-1)).toBe('the newest question');
    expect(asSent(fitted)).toEqual(asSent(reference(5, 60, newest)));
    expect(() => repository.fitPromptHistory(conversationId, { systemTokens: 5, budget: 6, upToMessageId: newest })).toThrow(
      expect.objectContaining({ code: 'message_too_large', retryable: false }),
    );
  });

  it('serialises each turn exactly as JSON.stringify would, whatever the text holds', () => {
    const texts = [
      'quotes " and \\ backslashes \\" mixed',
      'lines\nand\ttabs\r\nand \b \f controls \u0000 \u0001 \u001f \u007f',
      'emoji 😀👩‍💻, CJK 漢字, RTL שלום, combining é, separators \u2028 \u2029',
      '</script> & <b>html</b> / slashes // and {"json":"inside"}',
      '',
    ];
    for (const text of texts) answer(ask(text || 'empty answer follows'), text || ' ');
    const fitted = repository.fitPromptHistory(conversationId, { systemTokens: 0, budget: 100_000 });
    expect(joinedJson(fitted.messages)).toEqual(
      repository.listPromptMessages(conversationId).map(({ role, content }) => JSON.stringify({ role, content })).join(','),
    );
    const sent = JSON.parse(`[${joinedJson(fitted.messages)}]`) as Array<{ role: string; content: unknown }>;
    expect(sent.filter((message) => message.role === 'assistant').map((message) => message.content)).toEqual(texts.map((text) => text || ' '));
  });

  it('returns nothing for an empty conversation', () => {
    expect(repository.fitPromptHistory(conversationId, { systemTokens: 3, budget: 100 })).toEqual({ messages: [], droppedCount: 0, totalTokens: 3 });
  });

  it('pages through long histories (more than one page of rows) with the same result', () => {
    for (let turn = 0; turn < 400; turn += 1) {
      const question = ask(`q${turn}`);
      if (turn % 50 !== 49) answer(question, `a${turn}`);
    }
    const all = repository.listPromptMessages(conversationId);
    expect(all.length).toBeGreaterThan(700);
    const everything = reference(0, 1_000_000).totalTokens;
    for (const budget of [50, 1_000, 2_500, 4_000, everything - 1, everything, everything + 100]) {
      expect(repository.fitPromptHistory(conversationId, { systemTokens: 0, budget }), `budget ${budget}`).toEqual(reference(0, budget));
    }
    const middle = all[301]!.role === 'user' ? all[301]!.id : all[300]!.id;
    for (const budget of [100, 1_000, 100_000]) {
      const fitted = repository.fitPromptHistory(conversationId, { systemTokens: 3, budget, upToMessageId: middle });
      expect(fitted, `budget ${budget} up to ${middle}`).toEqual(reference(3, budget, middle));
    }
  });

  it('a history that fits whole (hundreds of turns, replies stored after later questions) gives the same prompt', () => {
    const questions: number[] = [];
    for (let turn = 0; turn < 150; turn += 1) {
      questions.push(ask(`question ${turn} ${'and more '.repeat(turn % 7)}`));
      // Every tenth answer comes after the next question was asked: its turn is older than its id.
      if (turn % 10 === 9) continue;
      answer(questions[turn], `answer ${turn}`);
      if (turn % 10 === 0 && turn > 0) answer(questions[turn - 1], `late answer ${turn - 1}`);
    }
    const waiting = ask('asked while the last answer streamed');
    const newest = ask('the newest question');
    expect(repository.listPromptMessages(conversationId).length).toBeGreaterThan(250);
    for (const upTo of [undefined, waiting, newest, questions[120]!]) {
      const fitted = repository.fitPromptHistory(conversationId, { systemTokens: 40, budget: 1_000_000, upToMessageId: upTo });
      expect(asSent(fitted), `up to ${upTo}`).toEqual(asSent(reference(40, 1_000_000, upTo)));
      expect(fitted.droppedCount).toBe(0);
      // Every turn before the current one in one run, as SQLite wrote it.
      expect(fitted.messages.filter((message) => 'run' in message)).toHaveLength(1);
    }
    expect(() => repository.fitPromptHistory(conversationId, { systemTokens: 1_000, budget: 1_001, upToMessageId: newest })).toThrow(
      expect.objectContaining({ code: 'message_too_large' }),
    );
  });

  it('reads a history that fits whole with one query, and one that does not in pages', () => {
    const { recorded, statements, id, newest } = recordedConversation(100);
    try {
      const store = recorded.repository;
      const readWith = (budget: number): string[] => {
        statements.length = 0;
        const fitted = store.fitPromptHistory(id, { systemTokens: 5, budget, upToMessageId: newest });
        expect(fitted.messages.length).toBeGreaterThan(1);
        return statements.filter((sql) => sql.includes('FROM messages'));
      };
      const whole = readWith(100_000);
      expect(whole.filter((sql) => sql.includes('group_concat'))).toHaveLength(1);
      expect(whole.filter((sql) => sql.includes('LIMIT') && !sql.includes('count(*)'))).toEqual([]);
      const paged = readWith(200);
      expect(paged.filter((sql) => sql.includes('group_concat'))).toEqual([]);
      expect(paged.some((sql) => sql.includes('ORDER BY turn DESC, id DESC LIMIT'))).toBe(true);
    } finally {
      recorded.dispose();
    }
  });

  it('goes straight to the paged read for a conversation longer than the whole-history limit', () => {
    const { recorded, statements, id, newest } = recordedConversation(300);
    try {
      const store = recorded.repository;
      statements.length = 0;
      const fitted = store.fitPromptHistory(id, { systemTokens: 5, budget: 1_000_000, upToMessageId: newest });
      expect(fitted.messages).toHaveLength(600);
      expect(fitted.droppedCount).toBe(0);
      expect(statements.filter((sql) => sql.includes('total(token_count)') || sql.includes('group_concat'))).toEqual([]);
    } finally {
      recorded.dispose();
    }
  });

  it('the whole-history read sums from the index and concatenates in index order, without a sort (same SQL as the repository)', () => {
    for (let turn = 0; turn < 5; turn += 1) answer(ask(`q${turn}`), `a${turn}`);
    const reader = new Database(store.databasePath, { readonly: true });
    const where = `conversation_id = ? AND in_prompt = 1 AND status IN ('complete', 'interrupted') AND id <> ? AND (role = 'assistant' OR id < ?)`;
    try {
      const sum = planOf(reader, `SELECT count(*), total(token_count) FROM messages WHERE ${where}`, [1, 2, 3]);
      expect(sum).toContain('COVERING INDEX messages_history');
      const whole = planOf(
        reader,
        `SELECT group_concat(id || ' ' || turn || ' ' || token_count || ' ' || role || ' ' || json_object('role', role, 'content', content), char(10))
         FROM (SELECT id, turn, token_count, role, content FROM messages WHERE ${where} ORDER BY turn, id)`,
        [1, 2, 3],
      );
      expect(whole).toContain('INDEX messages_history');
      for (const plan of [sum, whole]) expect(plan).not.toContain('TEMP B-TREE');
    } finally {
      reader.close();
    }
  });

  it('the newest-first history scan reads the covering index alone (same SQL as the repository)', () => {
    const reader = new Database(store.databasePath, { readonly: true });
    const scan = `SELECT id, role, token_count, turn FROM messages
      WHERE conversation_id = ? AND in_prompt = 1 AND status IN ('complete', 'interrupted') AND id <> ? AND (role = 'assistant' OR id < ?)`;
    try {
      const first = planOf(reader, `${scan} ORDER BY turn DESC, id DESC LIMIT ?`, [1, 2, 3, 4]);
      const next = planOf(reader, `${scan} AND (turn, id) < (?, ?) ORDER BY turn DESC, id DESC LIMIT ?`, [1, 2, 3, 4, 5, 6]);
      for (const plan of [first, next]) {
        expect(plan).toContain('COVERING INDEX messages_history');
        expect(plan).not.toContain('TEMP B-TREE');
      }
      // The keyset bound is part of the index seek, not a filter over every older row.
      expect(next).toMatch(/conversation_id=\? AND \(?turn/);
      const queued = planOf(
        reader,
        `SELECT count(*) FROM messages WHERE conversation_id = ? AND in_prompt = 1 AND status IN ('complete', 'interrupted') AND turn > ? AND role = 'user'`,
        [1, 2],
      );
      expect(queued).toMatch(/COVERING INDEX messages_history \(conversation_id=\? AND turn>\?\)/);
    } finally {
      reader.close();
    }
  });
});
