import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationKey } from '../../src/platform.js';
import type { ConversationRepository } from '../../src/store/conversation-repository.js';
import type { NewUserMessage } from '../../src/store/types.js';
import { createTempStore, type TempStore } from './temp-store.js';

const model = 'openai/gpt-oss-120b';
const dayMs = 24 * 60 * 60 * 1000;
const threadKey: ConversationKey = { platform: 'slack', workspaceId: 'T1', channelId: 'C1', threadKey: '1700000000.000100' };

let store: TempStore;
let repository: ConversationRepository;

beforeEach(() => {
  store = createTempStore();
  repository = store.repository;
});

afterEach(() => store.dispose());

function userMessage(conversationId: number, overrides: Partial<NewUserMessage> = {}): NewUserMessage {
  return {
    conversationId,
    platform: 'slack',
    channelId: 'C1',
    content: 'hello world',
    authorId: 'U1',
    platformMessageId: '1700000000.000100',
    eventId: 'Ev1',
    model,
    ...overrides,
  };
}

function count(sql: string, ...parameters: unknown[]): number {
  // Reads through a second connection: what another process would see on disk.
  const reader = new Database(store.databasePath, { readonly: true });
  try {
    return reader.prepare(sql).pluck().get(...parameters) as number;
  } finally {
    reader.close();
  }
}

/** Conversations whose trigger-kept prompt_turns differs from their messages (should be none). */
function promptTurnsDrift(): number {
  return count(`SELECT count(*) FROM conversations c WHERE prompt_turns <> (SELECT count(*) FROM messages m
    WHERE m.conversation_id = c.id AND m.in_prompt = 1 AND m.status IN ('complete', 'interrupted'))`);
}

describe('conversations', () => {
  it('finds or creates one active conversation per key', () => {
    expect(repository.findActiveConversation(threadKey)).toBeUndefined();
    const created = repository.findOrCreateActiveConversation(threadKey);
    expect(created).toMatchObject({ ...threadKey, active: true, systemPrompt: null, createdAt: store.clock.now });
    expect(repository.findOrCreateActiveConversation(threadKey).id).toBe(created.id);
    expect(repository.findActiveConversation(threadKey)?.id).toBe(created.id);
    const otherThread = repository.findOrCreateActiveConversation({ ...threadKey, threadKey: '1700000000.000200' });
    expect(otherThread.id).not.toBe(created.id);
    expect(repository.getConversation(created.id)).toEqual(created);
  });

  it('keeps a conversation-level system prompt', () => {
    const conversation = repository.findOrCreateActiveConversation(threadKey);
    repository.setConversationSystemPrompt(conversation.id, 'Answer in French.');
    expect(repository.getConversation(conversation.id)?.systemPrompt).toBe('Answer in French.');
    repository.setConversationSystemPrompt(conversation.id, null);
    expect(repository.getConversation(conversation.id)?.systemPrompt).toBeNull();
  });

  it('reset leaves the old conversation readable and starts an empty active one', () => {
    const old = repository.findOrCreateActiveConversation(threadKey);
    const appended = repository.appendUserMessage(userMessage(old.id));
    expect(appended.status).toBe('stored');
    store.clock.now += 1_000;
    const fresh = repository.resetConversation(threadKey);
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.active).toBe(true);
    expect(repository.findActiveConversation(threadKey)?.id).toBe(fresh.id);
    expect(repository.listPromptMessages(fresh.id)).toEqual([]);
    expect(repository.getConversation(old.id)?.active).toBe(false);
    expect(repository.listPromptMessages(old.id).map((message) => message.content)).toEqual(['hello world']);
    // A reply to a message of the old conversation still finds it.
    expect(repository.findConversationByPlatformMessage('slack', 'C1', '1700000000.000100')?.id).toBe(old.id);
  });

  it('reset with no conversation yet just starts one', () => {
    const fresh = repository.resetConversation(threadKey);
    expect(repository.findActiveConversation(threadKey)?.id).toBe(fresh.id);
  });
});

describe('appendUserMessage', () => {
  it('stores a message with its event id and token count', () => {
    const conversation = repository.findOrCreateActiveConversation(threadKey);
    const result = repository.appendUserMessage(userMessage(conversation.id));
    expect(result.status).toBe('stored');
    if (result.status !== 'stored') return;
    expect(result.message).toMatchObject({
      conversationId: conversation.id,
      role: 'user',
      content: 'hello world',
      authorId: 'U1',
      platformMessageId: '1700000000.000100',
      status: 'complete',
      inPrompt: true,
      tokenCount: store.tokenCounter.countMessage(model, 'user', 'hello world'),
      model,
    });
    expect(count('SELECT count(*) FROM processed_events WHERE platform = ? AND event_id = ?', 'slack', 'Ev1')).toBe(1);
    expect(repository.hasSeen('slack', 'Ev1', 'C9', 'other')).toBe(true);
    expect(repository.hasSeen('slack', undefined, 'C1', '1700000000.000100')).toBe(true);
    expect(repository.hasSeen('slack', 'Ev2', 'C1', '1700000000.000999')).toBe(false);
  });

  it('a duplicate message id (another event id) stores nothing, not even the event id', () => {
    const conversation = repository.findOrCreateActiveConversation(threadKey);
    repository.appendUserMessage(userMessage(conversation.id));
    const duplicate = repository.appendUserMessage(userMessage(conversation.id, { eventId: 'Ev2', content: 'same message via app_mention' }));
    expect(duplicate).toEqual({ status: 'duplicate' });
    expect(count('SELECT count(*) FROM messages')).toBe(1);
    expect(count('SELECT count(*) FROM processed_events')).toBe(1);
  });

  it('a duplicate event id (Slack retry) stores nothing', () => {
    const conversation = repository.findOrCreateActiveConversation(threadKey);
    repository.appendUserMessage(userMessage(conversation.id));
    const retry = repository.appendUserMessage(userMessage(conversation.id, { platformMessageId: '1700000000.000555' }));
    expect(retry).toEqual({ status: 'duplicate' });
    expect(count('SELECT count(*) FROM messages')).toBe(1);
  });

  it('a message without event id dedupes on its message id alone', () => {
    const conversation = repository.findOrCreateActiveConversation({ ...threadKey, platform: 'discord' });
    const message = userMessage(conversation.id, { platform: 'discord', eventId: undefined, platformMessageId: '1234567890123456789' });
    expect(repository.appendUserMessage(message).status).toBe('stored');
    expect(repository.appendUserMessage(message).status).toBe('duplicate');
    expect(count('SELECT count(*) FROM messages')).toBe(1);
    expect(count('SELECT count(*) FROM processed_events')).toBe(0);
  });

  it('a Slack ts reused in another channel is a different message', () => {
    const first = repository.findOrCreateActiveConversation(threadKey);
    const second = repository.findOrCreateActiveConversation({ ...threadKey, channelId: 'C2' });
    expect(repository.appendUserMessage(userMessage(first.id, { eventId: 'EvA' })).status).toBe('stored');
    expect(repository.appendUserMessage(userMessage(second.id, { channelId: 'C2', eventId: 'EvB' })).status).toBe('stored');
    expect(repository.findConversationByPlatformMessage('slack', 'C1', '1700000000.000100')?.id).toBe(first.id);
    expect(repository.findConversationByPlatformMessage('slack', 'C2', '1700000000.000100')?.id).toBe(second.id);
    // The same ts on the other platform is not the same message either.
    expect(repository.hasSeen('discord', undefined, 'C1', '1700000000.000100')).toBe(false);
  });

  it('the same event id on two platforms is two events', () => {
    expect(repository.recordEvent('slack', 'command:1')).toBe(true);
    expect(repository.recordEvent('slack', 'command:1')).toBe(false);
    expect(repository.recordEvent('discord', 'command:1')).toBe(true);
  });

  it('fails without storing anything for an unknown conversation', () => {
    expect(() => repository.appendUserMessage(userMessage(999))).toThrow(/FOREIGN KEY/);
    expect(count('SELECT count(*) FROM processed_events')).toBe(0);
  });
});

describe('assistant replies', () => {
  it('streams, records parts, saves visible text and finishes with usage', () => {
    const conversation = repository.findOrCreateActiveConversation(threadKey);
    const asked = repository.appendUserMessage(userMessage(conversation.id));
    if (asked.status !== 'stored') throw new Error('not stored');
    const reply = repository.startAssistantReply(conversation.id, model, asked.message.id);
    expect(reply).toMatchObject({ role: 'assistant', status: 'streaming', content: '', model });
    repository.recordPostedPart(reply.id, { platform: 'slack', index: 0, ref: { channelId: 'C1', messageId: '1700000001.000100' } });
    repository.saveVisibleText(reply.id, { index: 0, text: 'Hel' }, 'Hel');
    expect(repository.getMessage(reply.id)?.content).toBe('Hel');
    expect(repository.findConversationByPlatformMessage('slack', 'C1', '1700000001.000100')?.id).toBe(conversation.id);
    // Still streaming: not in the prompt yet.
    expect(repository.listPromptMessages(conversation.id).map((message) => message.role)).toEqual(['user']);

    repository.finishAssistantReply(reply.id, {
      status: 'complete',
      content: 'Hello there',
      usage: { promptTokens: 20, completionTokens: 3, totalTokens: 23 },
      requestId: 'req_01',
    });
    expect(repository.getMessage(reply.id)).toMatchObject({
      status: 'complete',
      content: 'Hello there',
      inPrompt: true,
      promptTokens: 20,
      completionTokens: 3,
      requestId: 'req_01',
      model,
      tokenCount: store.tokenCounter.countMessage(model, 'assistant', 'Hello there'),
    });
    // A late landed edit never rewrites the finished content.
    repository.saveVisibleText(reply.id, { index: 0, text: 'Hello' }, 'Hello');
    expect(repository.getMessage(reply.id)?.content).toBe('Hello there');
  });

  it('orders a reply after the question it answers, and keeps failed and refused turns out of prompts', () => {
    const conversation = repository.findOrCreateActiveConversation(threadKey);
    const append = (id: string, content: string, inPrompt = true) => {
      const result = repository.appendUserMessage(userMessage(conversation.id, { platformMessageId: id, eventId: `Ev${id}`, content, inPrompt }));
      if (result.status !== 'stored') throw new Error('not stored');
      return result.message.id;
    };
    const first = append('1', 'first question');
    const second = append('2', 'second question, queued while the first streams');
    const firstReply = repository.startAssistantReply(conversation.id, model, first);
    repository.finishAssistantReply(firstReply.id, { status: 'complete', content: 'first answer' });
    const secondReply = repository.startAssistantReply(conversation.id, model, second);
    repository.finishAssistantReply(secondReply.id, { status: 'failed', content: 'Groq said no' });
    append('3', 'x'.repeat(50), false);
    const fourth = append('4', 'fourth question');
    const interrupted = repository.startAssistantReply(conversation.id, model, fourth);
    repository.finishAssistantReply(interrupted.id, { status: 'interrupted', content: 'partial ans' });
    const empty = repository.startAssistantReply(conversation.id, model);
    repository.finishAssistantReply(empty.id, { status: 'interrupted', content: '' });

    const prompt = repository.listPromptMessages(conversation.id);
    expect(prompt.map((message) => message.content)).toEqual([
      'first question',
      'first answer',
      'second question, queued while the first streams',
      'fourth question',
      'partial ans',
    ]);
    expect(prompt[1]).toEqual({
      id: firstReply.id,
      role: 'assistant',
      content: 'first answer',
      tokenCount: store.tokenCounter.countMessage(model, 'assistant', 'first answer'),
    });
    expect(repository.getMessage(secondReply.id)?.inPrompt).toBe(false);
    expect(repository.listMessages(conversation.id)).toHaveLength(8);
    expect(count('SELECT prompt_turns FROM conversations WHERE id = ?', conversation.id)).toBe(5);
    expect(promptTurnsDrift()).toBe(0);
  });

  it('a part posted again replaces its record', () => {
    const conversation = repository.findOrCreateActiveConversation(threadKey);
    const reply = repository.startAssistantReply(conversation.id, model);
    repository.recordPostedPart(reply.id, { platform: 'slack', index: 0, ref: { channelId: 'C1', messageId: 'a' } });
    repository.recordPostedPart(reply.id, { platform: 'slack', index: 0, ref: { channelId: 'C1', messageId: 'b' } });
    expect(count('SELECT count(*) FROM posted_parts')).toBe(1);
    expect(repository.findConversationByPlatformMessage('slack', 'C1', 'b')?.id).toBe(conversation.id);
    expect(repository.findConversationByPlatformMessage('slack', 'C1', 'a')).toBeUndefined();
  });
});

describe('recoverInterruptedReplies', () => {
  it('returns replies left streaming with every part and the last saved text, and marks them interrupted', () => {
    const conversation = repository.findOrCreateActiveConversation({ platform: 'discord', workspaceId: 'G1', channelId: 'D1', threadKey: 'D1' });
    const done = repository.startAssistantReply(conversation.id, model);
    repository.finishAssistantReply(done.id, { status: 'complete', content: 'finished before the crash' });
    const stuck = repository.startAssistantReply(conversation.id, model);
    repository.recordPostedPart(stuck.id, { platform: 'discord', index: 0, ref: { channelId: 'D1', messageId: '111' } });
    repository.recordPostedPart(stuck.id, { platform: 'discord', index: 1, ref: { channelId: 'D1', messageId: '222', handle: 'interaction-token' } });
    repository.saveVisibleText(stuck.id, { index: 0, text: 'part one' }, 'part one');
    repository.saveVisibleText(stuck.id, { index: 1, text: 'part two so far' }, 'part one part two so far');
    const silent = repository.startAssistantReply(conversation.id, model);

    const reopened = store.reopen();
    const recovered = reopened.recoverInterruptedReplies();
    expect(recovered).toEqual([
      {
        messageId: stuck.id,
        conversationId: conversation.id,
        platform: 'discord',
        content: 'part one part two so far',
        parts: [
          { index: 0, ref: { channelId: 'D1', messageId: '111' }, text: 'part one' },
          { index: 1, ref: { channelId: 'D1', messageId: '222', handle: 'interaction-token' }, text: 'part two so far' },
        ],
      },
      { messageId: silent.id, conversationId: conversation.id, platform: 'discord', content: '', parts: [] },
    ]);
    expect(reopened.getMessage(stuck.id)).toMatchObject({ status: 'interrupted', inPrompt: true, content: 'part one part two so far' });
    expect(reopened.getMessage(stuck.id)?.tokenCount).toBeGreaterThan(0);
    expect(reopened.getMessage(silent.id)).toMatchObject({ status: 'interrupted', inPrompt: false });
    expect(reopened.listPromptMessages(conversation.id).map((message) => message.content)).toEqual([
      'finished before the crash',
      'part one part two so far',
    ]);
    expect(reopened.recoverInterruptedReplies()).toEqual([]);
    expect(promptTurnsDrift()).toBe(0);
  });
});

describe('channel system prompts', () => {
  it('get, set, replace and clear per channel; a thread inherits its parent unless it has its own', () => {
    // The engine asks the thread channel first, then its parent channel.
    const lookup = (channelId: string, parentChannelId?: string) =>
      repository.getChannelSystemPrompt('discord', 'G1', channelId) ??
      (parentChannelId === undefined ? undefined : repository.getChannelSystemPrompt('discord', 'G1', parentChannelId));

    expect(lookup('thread-1', 'parent')).toBeUndefined();
    repository.setChannelSystemPrompt('discord', 'G1', 'parent', 'Be brief.', 'U-admin');
    expect(lookup('thread-1', 'parent')).toEqual({ prompt: 'Be brief.', setBy: 'U-admin', setAt: store.clock.now });
    expect(lookup('parent')?.prompt).toBe('Be brief.');

    store.clock.now += 5;
    repository.setChannelSystemPrompt('discord', 'G1', 'thread-1', 'Talk like a pirate.', 'U-mod');
    expect(lookup('thread-1', 'parent')).toEqual({ prompt: 'Talk like a pirate.', setBy: 'U-mod', setAt: store.clock.now });
    expect(lookup('thread-2', 'parent')?.prompt).toBe('Be brief.');

    repository.setChannelSystemPrompt('discord', 'G1', 'parent', 'Be very brief.', 'U-admin2');
    expect(lookup('thread-2', 'parent')?.setBy).toBe('U-admin2');
    // Other workspace and platform are separate.
    expect(repository.getChannelSystemPrompt('discord', 'G2', 'parent')).toBeUndefined();
    expect(repository.getChannelSystemPrompt('slack', 'G1', 'parent')).toBeUndefined();

    expect(repository.clearChannelSystemPrompt('discord', 'G1', 'thread-1')).toBe(true);
    expect(repository.clearChannelSystemPrompt('discord', 'G1', 'thread-1')).toBe(false);
    expect(lookup('thread-1', 'parent')?.prompt).toBe('Be very brief.');
  });
});

describe('retention', () => {
  it('deletes only conversations idle longer than the retention, with their messages and parts', () => {
    const idle = repository.findOrCreateActiveConversation(threadKey);
    const revived = repository.findOrCreateActiveConversation({ ...threadKey, threadKey: 'revived' });
    repository.appendUserMessage(userMessage(idle.id));
    const idleReply = repository.startAssistantReply(idle.id, model);
    repository.recordPostedPart(idleReply.id, { platform: 'slack', index: 0, ref: { channelId: 'C1', messageId: 'posted-1' } });
    repository.finishAssistantReply(idleReply.id, { status: 'complete', content: 'old answer' });

    store.clock.now += 80 * dayMs;
    const busy = repository.findOrCreateActiveConversation({ ...threadKey, threadKey: 'busy' });
    store.clock.now += 11 * dayMs;
    // As old as the idle one, but it just got a new message: not idle.
    repository.appendUserMessage(userMessage(revived.id, { platformMessageId: 'new', eventId: 'EvNew' }));
    store.clock.now += 1 * dayMs;

    expect(repository.deleteIdleConversations(0)).toBe(0);
    expect(repository.deleteIdleConversations(90)).toBe(1);
    expect(repository.getConversation(idle.id)).toBeUndefined();
    expect(repository.getConversation(busy.id)).toBeDefined();
    expect(repository.getConversation(revived.id)).toBeDefined();
    expect(count('SELECT count(*) FROM messages WHERE conversation_id = ?', idle.id)).toBe(0);
    expect(count('SELECT count(*) FROM posted_parts')).toBe(0);
    expect(repository.findConversationByPlatformMessage('slack', 'C1', 'posted-1')).toBeUndefined();
  });

  it('forgets one conversation', () => {
    const first = repository.findOrCreateActiveConversation(threadKey);
    const second = repository.findOrCreateActiveConversation({ ...threadKey, threadKey: 'other' });
    repository.appendUserMessage(userMessage(first.id));
    repository.appendUserMessage(userMessage(second.id, { platformMessageId: 'm2', eventId: 'Ev2' }));
    repository.forgetConversation(first.id);
    expect(repository.getConversation(first.id)).toBeUndefined();
    expect(count('SELECT count(*) FROM messages')).toBe(1);
    expect(repository.findActiveConversation(threadKey)).toBeUndefined();
  });

  it('prunes processed events older than a day', () => {
    repository.recordEvent('slack', 'old');
    store.clock.now += dayMs - 1;
    repository.recordEvent('slack', 'recent');
    store.clock.now += 2;
    expect(repository.pruneProcessedEvents()).toBe(1);
    expect(repository.recordEvent('slack', 'old')).toBe(true);
    expect(repository.recordEvent('slack', 'recent')).toBe(false);
  });
});

describe('a conversation forgotten while a reply streams', () => {
  it('ignores the reply’s later parts, saves and finish instead of failing the answer', () => {
    const conversation = repository.findOrCreateActiveConversation(threadKey);
    const reply = repository.startAssistantReply(conversation.id, model);
    repository.forgetConversation(conversation.id);
    repository.recordPostedPart(reply.id, { platform: 'slack', index: 0, ref: { channelId: 'C1', messageId: 'late' } });
    repository.saveVisibleText(reply.id, { index: 0, text: 'late' }, 'late');
    repository.finishAssistantReply(reply.id, { status: 'complete', content: 'late' });
    expect(repository.getMessage(reply.id)).toBeUndefined();
    expect(count('SELECT count(*) FROM posted_parts')).toBe(0);
  });
});

describe('listUnansweredUserMessages', () => {
  it('finds recent user messages of active conversations that no reply was started for (nor for a later turn), oldest first', () => {
    const conversation = repository.findOrCreateActiveConversation(threadKey);
    const ask = (id: string, overrides: Partial<NewUserMessage> = {}) => {
      const result = repository.appendUserMessage(userMessage(conversation.id, { platformMessageId: id, eventId: `Ev-${id}`, ...overrides }));
      if (result.status !== 'stored') throw new Error('not stored');
      return result.message;
    };
    const old = ask('old');
    store.clock.now += 10_000;
    const answered = ask('answered');
    repository.finishAssistantReply(repository.startAssistantReply(conversation.id, model, answered.id).id, { status: 'complete', content: 'yes' });
    const failed = ask('failed-reply');
    repository.finishAssistantReply(repository.startAssistantReply(conversation.id, model, failed.id).id, { status: 'failed', content: 'no' });
    ask('refused', { inPrompt: false });
    const waiting = ask('waiting');
    const alsoWaiting = ask('also-waiting');
    const elsewhere = repository.findOrCreateActiveConversation({ ...threadKey, channelId: 'C7', threadKey: 'x' });
    const resetLater = repository.appendUserMessage(userMessage(elsewhere.id, { channelId: 'C7', platformMessageId: 'reset', eventId: 'Ev-reset' }));
    expect(resetLater.status).toBe('stored');
    repository.resetConversation({ ...threadKey, channelId: 'C7', threadKey: 'x' });

    const unanswered = repository.listUnansweredUserMessages(store.clock.now - 5_000);
    expect(unanswered.map((item) => item.message.id)).toEqual([waiting.id, alsoWaiting.id]);
    expect(unanswered[0]).toEqual({ message: waiting, conversation: repository.getConversation(conversation.id), channelId: 'C1' });
    // `old` came before a turn that was answered: its answer is superseded (ON_NEW_MESSAGE=cancel skips such turns).
    expect(old.id).toBeLessThan(answered.id);
    expect(repository.listUnansweredUserMessages(0).map((item) => item.message.id)).toEqual([waiting.id, alsoWaiting.id]);
  });
});
