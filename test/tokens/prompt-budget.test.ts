import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroqbotError } from '../../src/errors.js';
import type { ConversationRepository } from '../../src/store/conversation-repository.js';
import type { PromptMessage } from '../../src/store/types.js';
import { fitToBudget, promptBudget, safetyMargin } from '../../src/tokens/prompt-budget.js';
import { createTempStore, type TempStore } from '../store/temp-store.js';

const turn = (id: number, tokenCount: number, role: PromptMessage['role'] = id % 2 === 1 ? 'user' : 'assistant'): PromptMessage => ({
  id,
  role,
  content: `turn ${id}`,
  tokenCount,
});

describe('promptBudget', () => {
  it('is the context window minus the completion reservation (4,096 by default) minus the margin', () => {
    const window = 131_072;
    expect(promptBudget({ model: 'openai/gpt-oss-120b' })).toBe(window - 4_096 - safetyMargin(window));
    expect(promptBudget({ model: 'openai/gpt-oss-120b', maxCompletionTokens: 1_000 })).toBe(window - 1_000 - safetyMargin(window));
    expect(promptBudget({ model: 'unknown/model' })).toBe(32_000 - 4_096 - safetyMargin(32_000));
    expect(safetyMargin(window)).toBeLessThan(window * 0.05);
  });

  it('HISTORY_MAX_TOKENS caps it for every model, and replaces the guessed window of an unknown model', () => {
    expect(promptBudget({ model: 'openai/gpt-oss-120b', historyMaxTokens: 2_000 })).toBe(2_000);
    expect(promptBudget({ model: 'openai/gpt-oss-120b', historyMaxTokens: 1_000_000 })).toBe(promptBudget({ model: 'openai/gpt-oss-120b' }));
    expect(promptBudget({ model: 'unknown/model', historyMaxTokens: 100_000 })).toBe(100_000);
  });

  it('is capped by a smaller per-minute token limit, minus the completion reservation', () => {
    const limited = promptBudget({ model: 'openai/gpt-oss-20b', maxCompletionTokens: 1_024, tokensPerMinuteLimit: 8_000 });
    expect(limited).toBe(8_000 - 1_024 - safetyMargin(8_000));
    expect(promptBudget({ model: 'openai/gpt-oss-20b', tokensPerMinuteLimit: 1_000_000 })).toBe(promptBudget({ model: 'openai/gpt-oss-20b' }));
    // A limit below the reservation would refuse everything; it is left to Groq's 413 instead.
    expect(promptBudget({ model: 'openai/gpt-oss-20b', tokensPerMinuteLimit: 2_000 })).toBe(promptBudget({ model: 'openai/gpt-oss-20b' }));
  });
});

describe('fitToBudget', () => {
  it('keeps everything that fits', () => {
    const history = [turn(1, 10), turn(2, 10), turn(3, 10)];
    expect(fitToBudget({ systemTokens: 5, history, budget: 100 })).toEqual({ messages: history, droppedCount: 0, totalTokens: 35 });
  });

  it('keeps the newest turns that fit and reports how many older ones were dropped', () => {
    const history = [turn(1, 40), turn(2, 30), turn(3, 20), turn(4, 20), turn(5, 10)];
    const fitted = fitToBudget({ systemTokens: 15, history, budget: 70 });
    expect(fitted.messages.map((message) => message.id)).toEqual([3, 4, 5]);
    expect(fitted.droppedCount).toBe(2);
    expect(fitted.totalTokens).toBe(65);
  });

  it('never leaves a hole: an older small turn behind a big one is dropped too', () => {
    const history = [turn(1, 1), turn(2, 500), turn(3, 10)];
    const fitted = fitToBudget({ systemTokens: 0, history, budget: 100 });
    expect(fitted.messages.map((message) => message.id)).toEqual([3]);
    expect(fitted.droppedCount).toBe(2);
  });

  it('always keeps the newest user message, even when nothing else fits', () => {
    const history = [turn(1, 50), turn(2, 50), turn(3, 90)];
    const fitted = fitToBudget({ systemTokens: 10, history, budget: 100 });
    expect(fitted).toEqual({ messages: [history[2]], droppedCount: 2, totalTokens: 100 });
  });

  it('fails clearly when the newest message and the system prompt alone exceed the budget', () => {
    const attempt = () => fitToBudget({ systemTokens: 20, history: [turn(1, 5), turn(2, 5), turn(3, 90)], budget: 100 });
    expect(attempt).toThrow(GroqbotError);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ code: 'message_too_large', retryable: false });
      expect((error as Error).message).toContain('100');
    }
  });

  it('returns no turns for an empty history', () => {
    expect(fitToBudget({ systemTokens: 7, history: [], budget: 100 })).toEqual({ messages: [], droppedCount: 0, totalTokens: 7 });
  });
});

describe('the budget over a stored conversation', () => {
  let store: TempStore;
  let repository: ConversationRepository;
  const model = 'openai/gpt-oss-120b';

  beforeEach(() => {
    store = createTempStore();
    repository = store.repository;
  });
  afterEach(() => store.dispose());

  it('skips failed and refused turns and keeps the newest turns of what remains', () => {
    const conversation = repository.findOrCreateActiveConversation({ platform: 'discord', workspaceId: 'G', channelId: 'D', threadKey: 'D' });
    let next = 0;
    const ask = (content: string, inPrompt = true) => {
      next += 1;
      const result = repository.appendUserMessage({
        conversationId: conversation.id,
        platform: 'discord',
        channelId: 'D',
        content,
        authorId: 'U',
        platformMessageId: String(next),
        inPrompt,
        model,
      });
      if (result.status !== 'stored') throw new Error('not stored');
      return result.message.id;
    };
    const answer = (question: number, content: string, status: 'complete' | 'failed' = 'complete') => {
      const reply = repository.startAssistantReply(conversation.id, model, question);
      repository.finishAssistantReply(reply.id, { status, content });
    };
    answer(ask('the oldest question, long enough to be dropped first '.repeat(20)), 'an old answer '.repeat(20));
    answer(ask('what is two plus two?'), 'four');
    answer(ask('and times three?'), 'the request failed', 'failed');
    ask('x'.repeat(10_000), false);
    const newest = ask('and plus one?');

    const history = repository.listPromptMessages(conversation.id);
    expect(history.map((message) => message.content)).not.toContain('the request failed');
    expect(history.some((message) => message.content.startsWith('xxx'))).toBe(false);
    expect(history.at(-1)?.id).toBe(newest);

    const systemTokens = store.tokenCounter.countMessage(model, 'system', 'You are a helpful bot.');
    const recentTokens = history.slice(2).reduce((sum, message) => sum + message.tokenCount, 0);
    const fitted = fitToBudget({ systemTokens, history, budget: systemTokens + recentTokens });
    expect(fitted.messages.map((message) => message.content)).toEqual(['what is two plus two?', 'four', 'and times three?', 'and plus one?']);
    expect(fitted.droppedCount).toBe(2);
    expect(fitted.totalTokens).toBe(systemTokens + recentTokens);
  });
});
