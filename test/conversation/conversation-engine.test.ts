import diagnosticsChannel from 'node:diagnostics_channel';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { historyNoticeText, lengthNoticeText } from '../../src/conversation/answer-runner.js';
import { collectStartUpGarbage } from '../../src/start-up-garbage.js';
import { eventually } from '../eventually.js';
import { readGroqFixture, startFakeGroq } from '../fakes/fake-groq.js';
import { createEngineHarness, defaultPrompt, messagesOf, type EngineHarness } from './engine-harness.js';

let harness: EngineHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const errorFixture = (name: string) => ({
  kind: 'http-error' as const,
  status: (JSON.parse(readGroqFixture(`${name}.headers.json`)) as { status: number }).status,
  body: JSON.parse(readGroqFixture(`${name}.json`)) as unknown,
  headers: (JSON.parse(readGroqFixture(`${name}.headers.json`)) as { headers: Record<string, string> }).headers,
});

describe('answering a message', () => {
  it('streams an exact answer, stores it complete with usage, and drops duplicates', async () => {
    harness = await createEngineHarness();
    const answer = 'SQLite keeps the whole database in **one file**, which makes backups simple.';
    harness.groq.enqueue({ kind: 'text', text: answer, tokensPerSecond: 200, usage: { prompt_tokens: 42, completion_tokens: 17 } });
    const message = harness.message({ text: 'Why SQLite?', eventId: 'Ev1' });
    await harness.engine.onMessage(message);
    await harness.engine.onMessage({ ...message });
    await harness.engine.onMessage({ ...message, messageId: 'other-id' });
    await harness.idle();

    expect(harness.groq.requests).toHaveLength(1);
    const [target] = harness.adapter.targets;
    expect(harness.adapter.targets).toHaveLength(1);
    expect(target?.texts()).toEqual([answer]);
    expect(target?.calls.filter((call) => call.kind === 'edit').length).toBeGreaterThan(0);
    const conversation = harness.repository.findActiveConversation({ platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadKey: message.messageId });
    const stored = harness.repository.listMessages(conversation?.id ?? -1);
    expect(stored.map((row) => [row.role, row.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    expect(stored[1]).toMatchObject({ content: answer, promptTokens: 42, completionTokens: 17, model: 'openai/gpt-oss-120b' });
    expect(stored[1]?.requestId).toMatch(/^req_/);
    expect(messagesOf(harness.groq.requests[0])).toEqual([
      { role: 'system', content: defaultPrompt },
      { role: 'user', content: 'Why SQLite?' },
    ]);
  });

  it('answers messages sent while it answers, in order, each seeing the previous answers', async () => {
    harness = await createEngineHarness();
    harness.groq.enqueue(
      { kind: 'text', text: 'Answer one.', tokensPerSecond: 40 },
      { kind: 'text', text: 'Answer two.' },
      { kind: 'text', text: 'Answer three.' },
      { kind: 'text', text: 'Answer four.' },
    );
    const first = harness.message({ text: 'one' });
    await harness.engine.onMessage(first);
    await harness.groq.waitForRequests(1);
    for (const text of ['two', 'three', 'four']) {
      await harness.engine.onMessage(harness.message({ text, threadKey: first.threadKey, addressed: false }));
    }
    await harness.idle();
    expect(harness.groq.requests).toHaveLength(4);
    expect(messagesOf(harness.groq.requests[3]).slice(1)).toEqual([
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'Answer one.' },
      { role: 'user', content: 'two' },
      { role: 'assistant', content: 'Answer two.' },
      { role: 'user', content: 'three' },
      { role: 'assistant', content: 'Answer three.' },
      { role: 'user', content: 'four' },
    ]);
    expect(messagesOf(harness.groq.requests[1]).at(-1)).toEqual({ role: 'user', content: 'two' });
    expect(messagesOf(harness.groq.requests[1]).some((message) => message.content === 'three')).toBe(false);
  });

  it('counts event → Groq request up to the request\'s last byte on the wire, a wait for a connection included', async () => {
    const groq = await startFakeGroq();
    // One connection: the second conversation's request waits until the first answer has streamed.
    const pool = new Pool(new URL(groq.baseUrl).origin, { connections: 1 });
    try {
      harness = await createEngineHarness({ groq, dispatcher: pool });
      harness.groq.enqueue({ kind: 'text', text: 'a first answer that takes a while to stream', tokensPerSecond: 25 }, { kind: 'text', text: 'second' });
      await harness.engine.onMessage(harness.message({ text: 'one' }));
      await harness.groq.waitForRequests(1);
      await harness.engine.onMessage(harness.message({ text: 'two' }));
      await harness.idle();
      const { values } = await harness.metrics.eventToRequest.get();
      const total = (suffix: string) => values.filter((value) => value.metricName === `groqbot_event_to_request_seconds_${suffix}`).reduce((sum, value) => sum + value.value, 0);
      expect(total('count')).toBe(2);
      // Handed to undici at once, but written only once the connection was free (~0.4 s later).
      expect(total('sum')).toBeGreaterThan(0.2);
      await harness.close();
      harness = undefined;
    } finally {
      await pool.destroy();
      await groq.close();
    }
  });

  it('keeps no prompt history while Groq has not answered yet: the request holds only its bytes', async () => {
    const histories: Array<WeakRef<object>> = [];
    harness = await createEngineHarness({ watchRequests: (request) => histories.push(new WeakRef(request.messages)) });
    const first = harness.message({ text: 'one' });
    await harness.engine.onMessage(first);
    await harness.idle();
    harness.groq.enqueue({ kind: 'text', text: 'Late but whole.', firstByteDelayMs: 1_500 });
    await harness.engine.onMessage(harness.message({ text: 'two', threadKey: first.threadKey }));
    const [, waiting] = await harness.groq.waitForRequests(2);
    expect(messagesOf(waiting!).map((message) => message.content)).toEqual([defaultPrompt, 'one', expect.any(String), 'two']);
    collectStartUpGarbage();
    expect(histories).toHaveLength(2);
    expect(histories[1]!.deref()).toBeUndefined();
    await harness.idle();
    expect(harness.adapter.targets.at(-1)?.texts()).toEqual(['Late but whole.']);
  });

  it('sends the Groq request before the sign of life, which is a platform call of its own', async () => {
    harness = await createEngineHarness();
    harness.groq.enqueue({ kind: 'text', text: 'request first' });
    const callsWhenSent: number[] = [];
    const onSent = (message: unknown): void => {
      const path = (message as { request?: { path?: string } }).request?.path ?? '';
      if (!path.endsWith('/chat/completions')) return;
      callsWhenSent.push(harness?.adapter.targets.reduce((sum, target) => sum + target.calls.length, 0) ?? -1);
    };
    diagnosticsChannel.subscribe('undici:request:bodySent', onSent);
    try {
      await harness.engine.onMessage(harness.message({ text: 'hello' }));
      await harness.idle();
    } finally {
      diagnosticsChannel.unsubscribe('undici:request:bodySent', onSent);
    }
    expect(callsWhenSent).toEqual([0]);
    expect(harness.adapter.targets[0]?.texts()).toEqual(['request first']);
  });

  it('hears afterEvents once per group of events, when their requests are written by the next check phase', async () => {
    let requestsSent = 0;
    const onSent = (message: unknown): void => {
      if ((message as { request?: { path?: string } }).request?.path?.endsWith('/chat/completions')) requestsSent += 1;
    };
    const heard: Array<{ stored: number; sentByCheckPhase: Promise<number> }> = [];
    // Opened once the harness made the database; no event arrives before that.
    let reader: Database.Database | undefined;
    harness = await createEngineHarness({
      warmConnections: 3,
      afterEvents: () => {
        const stored = reader?.prepare<[], number>("SELECT count(*) FROM messages WHERE role = 'user'").pluck().get() ?? -1;
        heard.push({ stored, sentByCheckPhase: new Promise((resolve) => setImmediate(() => resolve(requestsSent))) });
      },
    });
    const current = harness;
    current.groq.setFallback(() => ({ kind: 'text', text: 'answer' }));
    await eventually(() => current.groq.openConnections >= 3, 5_000, 'the spare connections');
    reader = new Database(current.databasePath, { readonly: true });
    diagnosticsChannel.subscribe('undici:request:bodySent', onSent);
    try {
      // In one synchronous run, as when gateway frames arrive in one socket read.
      await Promise.all(['one', 'two', 'three'].map((text) => current.engine.onMessage(current.message({ text }))));
      expect(heard.map((entry) => entry.stored)).toEqual([3]);
      expect(await heard[0]!.sentByCheckPhase).toBe(3);
      await current.idle();
      await current.engine.onMessage(current.message({ text: 'four' }));
      expect(heard.map((entry) => entry.stored)).toEqual([3, 4]);
      await current.idle();
    } finally {
      diagnosticsChannel.unsubscribe('undici:request:bodySent', onSent);
      reader.close();
    }
  });

  it('writes each Groq request before it handles the next of the events that arrived together, and all before their signs of life', async () => {
    harness = await createEngineHarness({ warmConnections: 2 });
    const current = harness;
    current.groq.setFallback(() => ({ kind: 'text', text: 'answer' }));
    await eventually(() => current.groq.openConnections >= 2, 5_000, 'the spare connections');
    const reader = new Database(current.databasePath, { readonly: true });
    const storedQuestionsWhenSent: number[] = [];
    const storedRepliesWhenSent: number[] = [];
    const platformCallsWhenSent: number[] = [];
    const onSent = (message: unknown): void => {
      if (!(message as { request?: { path?: string } }).request?.path?.endsWith('/chat/completions')) return;
      storedQuestionsWhenSent.push(reader.prepare<[], number>("SELECT count(*) FROM messages WHERE role = 'user'").pluck().get() ?? -1);
      storedRepliesWhenSent.push(reader.prepare<[], number>("SELECT count(*) FROM messages WHERE role = 'assistant'").pluck().get() ?? -1);
      platformCallsWhenSent.push(current.adapter.targets.reduce((sum, target) => sum + target.calls.length, 0));
    };
    diagnosticsChannel.subscribe('undici:request:bodySent', onSent);
    try {
      // In one synchronous run, as when two gateway frames arrive in one socket read.
      const handled = [current.engine.onMessage(current.message({ text: 'one' })), current.engine.onMessage(current.message({ text: 'two' }))];
      await Promise.all(handled);
      // Handling a message ends with it stored (Slack's acknowledgement waits for that).
      expect(reader.prepare<[], number>("SELECT count(*) FROM messages WHERE role = 'user'").pluck().get()).toBe(2);
      await current.idle();
    } finally {
      diagnosticsChannel.unsubscribe('undici:request:bodySent', onSent);
      reader.close();
    }
    // The first request went out before the second question was handled, and the second before
    // the first reply's sign of life (a platform call) was made. The questions' and the replies'
    // rows come after both requests: their commits would delay them.
    expect(storedQuestionsWhenSent).toEqual([0, 0]);
    expect(storedRepliesWhenSent).toEqual([0, 0]);
    expect(platformCallsWhenSent).toEqual([0, 0]);
    expect(current.adapter.targets.map((target) => target.texts())).toEqual([['answer'], ['answer']]);
  });

  it('drops a retry, or the same message under another event, that arrives before the message is stored', async () => {
    harness = await createEngineHarness();
    harness.groq.setFallback(() => ({ kind: 'text', text: 'answer' }));
    const message = harness.message({ text: 'once, please', eventId: 'Ev1' });
    // In one synchronous run: the first is not stored until the events that arrived with it are handled.
    await Promise.all([
      harness.engine.onMessage(message),
      harness.engine.onMessage({ ...message }),
      harness.engine.onMessage({ ...message, eventId: 'Ev2' }),
      harness.engine.onMessage({ ...message, messageId: 'another-id' }),
    ]);
    await harness.idle();
    expect(harness.groq.requests).toHaveLength(1);
    expect(harness.adapter.targets.map((target) => target.texts())).toEqual([['answer']]);
    const conversation = harness.repository.findActiveConversation({ platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadKey: message.threadKey });
    expect(harness.repository.listMessages(conversation?.id ?? -1).map((row) => [row.role, row.content, row.status])).toEqual([
      ['user', 'once, please', 'complete'],
      ['assistant', 'answer', 'complete'],
    ]);
  });

  it('stores messages that arrive together in their order, and answers a follow-up with the question before it', async () => {
    harness = await createEngineHarness();
    harness.groq.enqueue({ kind: 'text', text: 'first answer' }, { kind: 'text', text: 'second answer' });
    const first = harness.message({ text: 'first question' });
    const second = harness.message({ text: 'second question', threadKey: first.threadKey });
    await Promise.all([harness.engine.onMessage(first), harness.engine.onMessage(second)]);
    await harness.idle();
    const conversation = harness.repository.findActiveConversation({ platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadKey: first.threadKey });
    expect(harness.repository.listMessages(conversation?.id ?? -1).map((row) => [row.role, row.content])).toEqual([
      ['user', 'first question'],
      ['assistant', 'first answer'],
      ['user', 'second question'],
      ['assistant', 'second answer'],
    ]);
    const [firstRequest, secondRequest] = harness.groq.requests;
    expect(messagesOf(firstRequest).slice(1)).toEqual([{ role: 'user', content: 'first question' }]);
    expect(messagesOf(secondRequest).slice(1)).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'second question' },
    ]);
  });

  it('tells the user, closes the Groq request and stays up when the question cannot be stored', async () => {
    harness = await createEngineHarness();
    const current = harness;
    // Another connection makes SQLite refuse user rows, as a full disk would.
    const admin = new Database(current.databasePath);
    admin.exec("CREATE TRIGGER refuse_questions BEFORE INSERT ON messages WHEN NEW.role = 'user' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    current.groq.enqueue({ kind: 'stall', text: 'never shown', afterChunks: 1 }, { kind: 'text', text: 'stored and answered' });
    try {
      await expect(current.engine.onMessage(current.message({ text: 'lost?' }))).rejects.toMatchObject({ code: 'store_failed', retryable: true });
      await current.idle();
      expect(current.adapter.targets[0]?.texts()).toEqual(['Something went wrong while answering; please try again.']);
      await eventually(() => current.groq.requests.length === 1, 5_000, 'the request at the fake Groq');
      await current.groq.requests[0]?.closed;
      expect(current.groq.requests[0]?.abortedAt).toBeDefined();
      admin.exec('DROP TRIGGER refuse_questions');
    } finally {
      admin.close();
    }
    await current.engine.onMessage(current.message({ text: 'and now?' }));
    await current.idle();
    expect(current.adapter.targets[1]?.texts()).toEqual(['stored and answered']);
  });

  it('answers the messages that arrived with one the store refuses, and fails only that one', async () => {
    harness = await createEngineHarness();
    const current = harness;
    const admin = new Database(current.databasePath);
    admin.exec("CREATE TRIGGER refuse_one BEFORE INSERT ON messages WHEN NEW.content = 'refused' BEGIN SELECT RAISE(ABORT, 'refused by a constraint'); END");
    current.groq.setFallback((request) => ({ kind: 'text', text: `answer to ${messagesOf(request).at(-1)?.content ?? '?'}` }));
    try {
      const results = await Promise.allSettled([
        current.engine.onMessage(current.message({ text: 'before' })),
        current.engine.onMessage(current.message({ text: 'refused' })),
        current.engine.onMessage(current.message({ text: 'after' })),
      ]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      await current.idle();
    } finally {
      admin.close();
    }
    expect(current.adapter.targets.map((target) => target.texts())).toEqual([
      ['answer to before'],
      ['Something went wrong while answering; please try again.'],
      ['answer to after'],
    ]);
    const questions = new Database(current.databasePath, { readonly: true });
    try {
      expect(questions.prepare("SELECT content FROM messages WHERE role = 'user' ORDER BY id").pluck().all()).toEqual(['before', 'after']);
    } finally {
      questions.close();
    }
  });

  it('runs two conversations at the same time', async () => {
    harness = await createEngineHarness();
    harness.groq.setFallback(() => ({ kind: 'text', text: 'slow answer with several words in it', tokensPerSecond: 20 }));
    await harness.engine.onMessage(harness.message({ text: 'first' }));
    await harness.engine.onMessage(harness.message({ text: 'second' }));
    // Both requests arrive while the first is still streaming (it takes ~0.4 s).
    const requests = await harness.groq.waitForRequests(2, 300);
    expect(requests).toHaveLength(2);
    await harness.idle();
  });

  it('in cancel mode aborts the reply in flight, closes the Groq request and answers the newest', async () => {
    harness = await createEngineHarness({ settings: { onNewMessage: 'cancel' } });
    harness.groq.enqueue({ kind: 'text', text: 'a long answer that streams slowly for a while', tokensPerSecond: 10 }, { kind: 'text', text: 'Newest answer.' });
    const first = harness.message({ text: 'first' });
    await harness.engine.onMessage(first);
    const [inFlight] = await harness.groq.waitForRequests(1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await harness.engine.onMessage(harness.message({ text: 'actually, this', threadKey: first.threadKey }));
    await inFlight?.closed;
    expect(inFlight?.abortedAt).toBeDefined();
    await harness.idle();
    const [firstTarget, secondTarget] = harness.adapter.targets;
    expect(firstTarget?.texts().join('')).toMatch(/⚠️ interrupted: a newer message arrived$/);
    expect(secondTarget?.texts()).toEqual(['Newest answer.']);
    const conversation = harness.repository.findActiveConversation({ platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadKey: first.threadKey });
    const statuses = harness.repository.listMessages(conversation?.id ?? -1).filter((row) => row.role === 'assistant').map((row) => row.status);
    expect(statuses).toEqual(['interrupted', 'complete']);
  });

  it('ignores an unaddressed message where the bot has no conversation', async () => {
    harness = await createEngineHarness();
    await harness.engine.onMessage(harness.message({ addressed: false, text: 'just chatting' }));
    await harness.idle();
    expect(harness.groq.requests).toHaveLength(0);
    expect(harness.adapter.targets).toHaveLength(0);
  });

  it('continues a reply chain found through the bot message index', async () => {
    harness = await createEngineHarness();
    const first = harness.message({ text: 'Name a colour.' });
    harness.groq.enqueue({ kind: 'text', text: 'Blue.' }, { kind: 'text', text: 'Sky blue.' });
    await harness.engine.onMessage(first);
    await harness.idle();
    const botMessageId = harness.adapter.targets[0]?.calls.find((call) => call.kind === 'post')?.messageId;
    // A reply to the bot's message without a mention: a new message id, its own thread key.
    await harness.engine.onMessage(harness.message({ text: 'Lighter?', addressed: false, replyToMessageId: botMessageId }));
    await harness.idle();
    expect(messagesOf(harness.groq.requests[1]).slice(1)).toEqual([
      { role: 'user', content: 'Name a colour.' },
      { role: 'assistant', content: 'Blue.' },
      { role: 'user', content: 'Lighter?' },
    ]);
  });
});

describe('system prompts and commands', () => {
  it('uses the conversation, channel, parent channel and default prompt in that order', async () => {
    harness = await createEngineHarness();
    const { repository, engine } = harness;
    await engine.onMessage(harness.message({ channelId: 'T1', parentChannelId: 'C1', threadKey: 'T1' }));
    await harness.idle();
    repository.setChannelSystemPrompt('discord', 'G1', 'C1', 'PARENT PROMPT', 'U9');
    await engine.onMessage(harness.message({ channelId: 'T1', parentChannelId: 'C1', threadKey: 'T1', addressed: false }));
    await harness.idle();
    repository.setChannelSystemPrompt('discord', 'G1', 'T1', 'THREAD PROMPT', 'U9');
    await engine.onMessage(harness.message({ channelId: 'T1', parentChannelId: 'C1', threadKey: 'T1', addressed: false }));
    await harness.idle();
    const ask = harness.command({ name: 'ask', text: 'What now?', channelId: 'T1', parentChannelId: 'C1', systemPrompt: 'ONE-OFF PROMPT' });
    const responder = harness.adapter.responder(ask);
    await engine.onCommand(ask, responder);
    await harness.idle();
    const systems = harness.groq.requests.map((request) => messagesOf(request)[0]?.content);
    expect(systems).toEqual([defaultPrompt, 'PARENT PROMPT', 'THREAD PROMPT', 'ONE-OFF PROMPT']);
  });

  it('sets, shows and clears the channel prompt, caps its length and refuses without permission', async () => {
    harness = await createEngineHarness();
    const { engine, adapter } = harness;
    const run = async (text: string) => {
      const command = harness!.command({ name: 'system', text });
      await engine.onCommand(command, adapter.responder(command));
      return adapter.responses.at(-1)?.text ?? '';
    };
    expect(await run('show')).toContain(defaultPrompt);
    expect(await run('set Answer like a pirate.')).toContain('Answer like a pirate.');
    expect(await run('')).toContain('Answer like a pirate.');
    await engine.onMessage(harness.message({ text: 'hi' }));
    await harness.idle();
    expect(messagesOf(harness.groq.requests[0])[0]?.content).toBe('Answer like a pirate.');
    expect(await run(`set ${'x'.repeat(4_001)}`)).toMatch(/too long.*4,000/);
    adapter.allowSystemPrompt = false;
    expect(await run('clear')).toBe("Sorry, only members with Manage Channels can change this channel's system prompt.");
    expect(harness.repository.getChannelSystemPrompt('discord', 'G1', 'C1')?.prompt).toBe('Answer like a pirate.');
    adapter.allowSystemPrompt = true;
    expect(await run('clear')).toMatch(/^Cleared/);
    expect(harness.repository.getChannelSystemPrompt('discord', 'G1', 'C1')).toBeUndefined();
  });

  it('ask starts a conversation that keeps its one-off prompt when continued', async () => {
    harness = await createEngineHarness();
    const ask = harness.command({ name: 'ask', text: 'Capital of France?', systemPrompt: 'Answer in one word.' });
    const responder = harness.adapter.responder(ask);
    harness.groq.enqueue({ kind: 'text', text: 'Paris.' }, { kind: 'text', text: 'Berlin.' });
    await harness.engine.onCommand(ask, responder);
    await harness.idle();
    expect(responder.opened[0]?.texts()).toEqual(['Paris.']);
    const answerId = responder.opened[0]?.calls.find((call) => call.kind === 'post')?.messageId;
    await harness.engine.onMessage(harness.message({ text: 'And Germany?', addressed: false, replyToMessageId: answerId }));
    await harness.idle();
    expect(messagesOf(harness.groq.requests[1])).toEqual([
      { role: 'system', content: 'Answer in one word.' },
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: 'And Germany?' },
    ]);
  });

  it('reset in a DM starts a fresh conversation, and explains itself elsewhere', async () => {
    harness = await createEngineHarness();
    const dm = { channelId: 'D1', threadKey: 'D1', isDirect: true, workspaceId: '' };
    await harness.engine.onMessage(harness.message({ ...dm, text: 'remember 42' }));
    await harness.idle();
    const reset = harness.command({ name: 'reset', text: '', channelId: 'D1', isDirect: true, workspaceId: '' });
    await harness.engine.onCommand(reset, harness.adapter.responder(reset));
    expect(harness.adapter.responses.at(-1)?.text).toMatch(/fresh conversation/);
    await harness.engine.onMessage(harness.message({ ...dm, text: 'what did I say?' }));
    await harness.idle();
    expect(messagesOf(harness.groq.requests[1]).slice(1)).toEqual([{ role: 'user', content: 'what did I say?' }]);
    const elsewhere = harness.command({ name: 'reset', text: '' });
    await harness.engine.onCommand(elsewhere, harness.adapter.responder(elsewhere));
    expect(harness.adapter.responses.at(-1)?.text).toMatch(/Each thread or reply chain is its own conversation/);
  });

  it('help and an empty mention explain the bot without calling Groq', async () => {
    harness = await createEngineHarness();
    const help = harness.command({ name: 'help', text: '' });
    await harness.engine.onCommand(help, harness.adapter.responder(help));
    expect(harness.adapter.responses.at(-1)?.text).toMatch(/groqbot/);
    await harness.engine.onMessage(harness.message({ text: '   ' }));
    await harness.idle();
    expect(harness.adapter.targets[0]?.texts().join('')).toMatch(/Mention me in a channel/);
    expect(harness.groq.requests).toHaveLength(0);
  });
});

describe('limits', () => {
  it('answers an over-long message clearly, never sends it, and keeps it out of later prompts', async () => {
    harness = await createEngineHarness({ settings: { maxInputChars: 100 } });
    const first = harness.message({ text: 'y'.repeat(101) });
    await harness.engine.onMessage(first);
    await harness.idle();
    expect(harness.groq.requests).toHaveLength(0);
    expect(harness.adapter.targets[0]?.texts().join('')).toMatch(/101 characters long; I can take at most 100/);
    await harness.engine.onMessage(harness.message({ text: 'short one', threadKey: first.threadKey }));
    await harness.idle();
    expect(messagesOf(harness.groq.requests[0]).slice(1)).toEqual([{ role: 'user', content: 'short one' }]);
  });

  it('counts a changed system prompt anew when it fits the history to the budget', async () => {
    harness = await createEngineHarness({ settings: { historyMaxTokens: 1_000, historyNotice: false } });
    const current = harness;
    current.groq.setFallback(() => ({ kind: 'text', text: 'word '.repeat(100).trim() }));
    const first = current.message({ text: 'question 0' });
    const ask = async (text: string) => {
      await current.engine.onMessage(current.message({ text, threadKey: first.threadKey }));
      await current.idle();
      return messagesOf(current.groq.requests.at(-1));
    };
    await current.engine.onMessage(first);
    await current.idle();
    for (let index = 1; index < 5; index += 1) await ask(`question ${index}`);
    // The default prompt is short: all nine earlier turns fit beside it.
    expect((await ask('question 5')).length).toBe(12);
    const setPrompt = current.command({ name: 'system', text: `set ${'word '.repeat(600).trim()}` });
    await current.engine.onCommand(setPrompt, current.adapter.responder(setPrompt));
    // ~600 tokens of system prompt leave room for three ~100-token answers with their questions.
    const crowded = await ask('question 6');
    expect(crowded[0]?.content).toMatch(/^word word/);
    expect(crowded.length).toBeLessThan(10);
    const clearPrompt = current.command({ name: 'system', text: 'clear' });
    await current.engine.onCommand(clearPrompt, current.adapter.responder(clearPrompt));
    expect((await ask('question 7')).length).toBeGreaterThan(crowded.length);
  });

  it('trims later prompts to a small per-minute token limit and says so once', async () => {
    harness = await createEngineHarness();
    const first = harness.message({ text: 'start' });
    const long = 'word '.repeat(400);
    harness.groq.setFallback(() => ({ kind: 'text', text: long, headers: { 'x-ratelimit-limit-tokens': '6000' } }));
    await harness.engine.onMessage(first);
    await harness.idle();
    for (let index = 0; index < 14; index += 1) {
      await harness.engine.onMessage(harness.message({ text: `question ${index}`, threadKey: first.threadKey }));
      await harness.idle();
    }
    const last = messagesOf(harness.groq.requests.at(-1));
    expect(last.at(-1)).toEqual({ role: 'user', content: 'question 13' });
    // 6,000 tokens a minute leave ~1,800 for the prompt: about four 400-token answers, not all fourteen.
    expect(last.length).toBeLessThanOrEqual(11);
    expect(last.length).toBeGreaterThanOrEqual(5);
    const notes = harness.adapter.targets.flatMap((target) => target.texts()).filter((text) => text.includes(historyNoticeText));
    expect(notes).toHaveLength(1);
  });

  for (const fixture of ['request-too-large-413', 'context-length-400']) {
    it(`a ${fixture} trims the history to half and retries once, then explains`, async () => {
      harness = await createEngineHarness();
      const first = harness.message({ text: 'one' });
      await harness.engine.onMessage(first);
      await harness.idle();
      for (const text of ['two', 'three', 'four']) {
        await harness.engine.onMessage(harness.message({ text, threadKey: first.threadKey }));
        await harness.idle();
      }
      harness.groq.enqueue(errorFixture(fixture), { kind: 'text', text: 'Fits now.' });
      await harness.engine.onMessage(harness.message({ text: 'five', threadKey: first.threadKey }));
      await harness.idle();
      const [failed, retried] = harness.groq.requests.slice(-2).map((request) => messagesOf(request).length);
      expect(retried).toBeLessThan(failed ?? 0);
      expect(retried).toBeGreaterThanOrEqual(2);
      expect(harness.adapter.targets.at(-1)?.texts()).toEqual(['Fits now.']);

      harness.groq.enqueue(errorFixture(fixture), errorFixture(fixture));
      const before = harness.groq.requests.length;
      await harness.engine.onMessage(harness.message({ text: 'six', threadKey: first.threadKey }));
      await harness.idle();
      expect(harness.groq.requests.length - before).toBe(2);
      expect(harness.adapter.targets.at(-1)?.texts().join('')).toMatch(/This conversation is too long for the model\. Start a fresh conversation by mentioning me/);
    });
  }
});

describe('failures a person understands', () => {
  const cases: Array<{ name: string; behaviour: () => Parameters<EngineHarness['groq']['enqueue']>[0][]; text: RegExp; status: string }> = [
    { name: 'rate limited', behaviour: () => [{ ...errorFixture('rate-limit-429'), headers: { 'retry-after': '7' } }, { ...errorFixture('rate-limit-429'), headers: { 'retry-after': '7' } }], text: /Groq is rate-limiting this bot; try again in 7 s\./, status: 'failed' },
    { name: 'invalid key', behaviour: () => [errorFixture('invalid-key-401')], text: /misconfigured/, status: 'failed' },
    { name: 'model not found', behaviour: () => [errorFixture('model-not-found-404')], text: /model `openai\/gpt-oss-120b` is not available/, status: 'failed' },
    { name: 'decommissioned', behaviour: () => [errorFixture('decommissioned-400')], text: /model `openai\/gpt-oss-120b` is not available/, status: 'failed' },
    { name: 'server errors', behaviour: () => [errorFixture('server-503'), errorFixture('server-503')], text: /Groq is unavailable right now; please try again\./, status: 'failed' },
    { name: 'JSON validation', behaviour: () => [errorFixture('json-validate-400')], text: /valid JSON/, status: 'failed' },
    { name: 'failure mid-stream', behaviour: () => [{ kind: 'error-event', text: 'Partial answer that stops here', afterChunks: 3 }], text: /^Partial answer that\n\n⚠️ interrupted: Groq reported an error$/, status: 'interrupted' },
  ];
  for (const testCase of cases) {
    it(`renders and stores: ${testCase.name}`, async () => {
      harness = await createEngineHarness();
      harness.groq.enqueue(...testCase.behaviour());
      const message = harness.message({ text: 'hi' });
      await harness.engine.onMessage(message);
      await harness.idle();
      expect(harness.adapter.targets[0]?.texts().join('')).toMatch(testCase.text);
      const conversation = harness.repository.findActiveConversation({ platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadKey: message.threadKey });
      const reply = harness.repository.listMessages(conversation?.id ?? -1).find((row) => row.role === 'assistant');
      expect(reply?.status).toBe(testCase.status);
      expect(reply?.inPrompt).toBe(testCase.status !== 'failed');
    });
  }

  it('notes a length finish', async () => {
    harness = await createEngineHarness();
    harness.groq.enqueue({ kind: 'text', text: 'Cut short', finishReason: 'length' });
    await harness.engine.onMessage(harness.message());
    await harness.idle();
    expect(harness.adapter.targets[0]?.texts()).toEqual([`Cut short\n\n_${lengthNoticeText}_`]);
  });

  it('ends the reply on the platform even when storing its outcome fails', async () => {
    harness = await createEngineHarness();
    harness.repository.finishAssistantReply = () => {
      throw new Error('disk I/O error');
    };
    harness.groq.enqueue({ kind: 'text', text: 'Shown in full' });
    await harness.engine.onMessage(harness.message());
    await harness.idle();
    expect(harness.adapter.targets[0]?.texts()).toEqual(['Shown in full']);
  });

  it('still answers, and closes the Groq request, when the store cannot record the start of a reply', async () => {
    harness = await createEngineHarness();
    harness.repository.startAssistantReply = () => {
      throw new Error('database is locked');
    };
    harness.groq.enqueue({ kind: 'stall', text: 'never shown', afterChunks: 1 });
    await harness.engine.onMessage(harness.message());
    await harness.idle();
    expect(harness.adapter.targets[0]?.texts()).toEqual(['Something went wrong while answering; please try again.']);
    // The reply's row is written once the request is on its way; failing there closes the request, so Groq stops.
    const groq = harness.groq;
    await eventually(() => groq.requests.length === 1, 5_000, 'the request at the fake Groq');
    await groq.requests[0]?.closed;
    expect(groq.requests[0]?.abortedAt).toBeDefined();
  });

  it('asks again with the newer half of the turns when Groq finds the prompt too long', async () => {
    harness = await createEngineHarness();
    const { repository } = harness;
    const conversation = repository.findOrCreateActiveConversation({ platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadKey: 'long-thread' });
    for (let turn = 1; turn <= 3; turn += 1) {
      const asked = repository.appendUserMessage({ conversationId: conversation.id, platform: 'discord', channelId: 'C1', content: `question ${turn}`, authorId: 'U1', platformMessageId: `q${turn}`, model: 'openai/gpt-oss-120b' });
      if (asked.status !== 'stored') throw new Error('not stored');
      repository.finishAssistantReply(repository.startAssistantReply(conversation.id, 'openai/gpt-oss-120b', asked.message.id).id, { status: 'complete', content: `answer ${turn}` });
    }
    harness.groq.enqueue(errorFixture('context-length-400'), { kind: 'text', text: 'shorter prompt, answered' });
    await harness.engine.onMessage(harness.message({ text: 'question 4', threadKey: 'long-thread' }));
    await harness.idle();
    const [first, second] = harness.groq.requests;
    expect(messagesOf(first).slice(1).map((message) => message.content)).toEqual(['question 1', 'answer 1', 'question 2', 'answer 2', 'question 3', 'answer 3', 'question 4']);
    expect(messagesOf(second)[0]?.role).toBe('system');
    expect(messagesOf(second).slice(1).map((message) => message.content)).toEqual(['question 3', 'answer 3', 'question 4']);
    expect(harness.adapter.targets[0]?.texts()).toEqual(['shorter prompt, answered']);
  });

  it('counts failures by code in the metrics', async () => {
    harness = await createEngineHarness();
    harness.groq.enqueue(errorFixture('invalid-key-401'));
    await harness.engine.onMessage(harness.message());
    await harness.idle();
    const metrics = await harness.metrics.registry.getMetricsAsJSON();
    const errors = metrics.find((metric) => metric.name === 'groqbot_groq_errors_total');
    expect(errors?.values).toContainEqual(expect.objectContaining({ labels: { code: 'invalid_api_key' }, value: 1 }));
    const replies = metrics.find((metric) => metric.name === 'groqbot_replies_total');
    expect(replies?.values).toContainEqual(expect.objectContaining({ labels: { platform: 'discord', outcome: 'failed' }, value: 1 }));
  });
});

describe('lifecycle', () => {
  it('start-up reads the newest conversation\'s history once, so the first question does not run that path cold', async () => {
    const statements: string[] = [];
    harness = await createEngineHarness({
      onStatement: (sql) => statements.push(sql),
      beforeRecover: ({ repository }) => {
        const older = repository.findOrCreateActiveConversation({ platform: 'slack', workspaceId: 'T1', channelId: 'C1', threadKey: '1.0' });
        const newer = repository.findOrCreateActiveConversation({ platform: 'slack', workspaceId: 'T1', channelId: 'C1', threadKey: '2.0' });
        for (const [conversation, content] of [[older, 'older question'], [newer, 'newer question']] as const) {
          const asked = repository.appendUserMessage({ conversationId: conversation.id, platform: 'slack', channelId: 'C1', content, authorId: 'U1', platformMessageId: `${conversation.id}.5`, model: 'openai/gpt-oss-120b' });
          if (asked.status !== 'stored') throw new Error('not stored');
        }
        statements.length = 0;
      },
    });
    const historyReads = statements.filter((sql) => sql.includes('group_concat'));
    expect(historyReads).toHaveLength(1);
    const newest = harness.repository.findActiveConversation({ platform: 'slack', workspaceId: 'T1', channelId: 'C1', threadKey: '2.0' });
    expect(historyReads[0]).toMatch(new RegExp(`conversation_id = ${newest?.id}\\b`));
    // Nothing was asked of Groq, and nothing was written.
    expect(harness.groq.requests).toHaveLength(0);
    expect(statements.filter((sql) => /^\s*(INSERT|UPDATE|DELETE)/i.test(sql) && !/processed_events/.test(sql))).toEqual([]);
  });

  it('recovery edits every stuck part before new work', async () => {
    const groq = await startFakeGroq();
    const first = await createEngineHarness({ groq });
    const { repository, directory } = first;
    const conversation = repository.findOrCreateActiveConversation({ platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadKey: 'M1' });
    const reply = repository.startAssistantReply(conversation.id, 'openai/gpt-oss-120b');
    repository.recordPostedPart(reply.id, { platform: 'discord', index: 0, ref: { channelId: 'C1', messageId: 'P0' } });
    repository.recordPostedPart(reply.id, { platform: 'discord', index: 1, ref: { channelId: 'C1', messageId: 'P1' } });
    repository.saveVisibleText(reply.id, { index: 0, text: 'first part' }, 'first part');
    repository.saveVisibleText(reply.id, { index: 1, text: 'second' }, 'first partsecond');
    await first.close({ keepFiles: true });

    let order: string[] = [];
    harness = await createEngineHarness({
      directory,
      groq,
      beforeRecover: (next) => {
        order = [];
        const edit = next.adapter.editStored.bind(next.adapter);
        next.adapter.editStored = async (ref, text) => {
          order.push(`edit ${ref.messageId}`);
          await edit(ref, text);
        };
        void next.engine.onMessage(next.message({ text: 'new work' })).then(() => order.push('message accepted'));
      },
    });
    await harness.idle();
    expect(harness.adapter.stored.map((entry) => [entry.ref.messageId, entry.text])).toEqual([
      ['P0', 'first part'],
      ['P1', 'second\n\n⚠️ interrupted: the bot restarted'],
    ]);
    expect(order.slice(0, 3)).toEqual(['edit P0', 'edit P1', 'message accepted']);
    const statuses = harness.repository.listMessages(conversation.id).map((row) => row.status);
    expect(statuses).toEqual(['interrupted']);
    await groq.close();
  });

  it('shutdown lets quick replies finish and marks slow ones interrupted within the grace period', async () => {
    harness = await createEngineHarness();
    harness.groq.enqueue({ kind: 'text', text: 'quick answer', tokensPerSecond: 50 }, { kind: 'text', text: 'a very slow answer '.repeat(20), tokensPerSecond: 5 });
    const quick = harness.message({ text: 'quick' });
    const slow = harness.message({ text: 'slow' });
    await harness.engine.onMessage(quick);
    await harness.engine.onMessage(slow);
    await harness.groq.waitForRequests(2);
    const started = Date.now();
    const finished = await harness.engine.shutdown(600);
    expect(finished).toBe(false);
    expect(Date.now() - started).toBeLessThan(600 + 5_000);
    const [quickTarget, slowTarget] = harness.adapter.targets;
    expect(quickTarget?.texts()).toEqual(['quick answer']);
    expect(slowTarget?.texts().join('')).toMatch(/⚠️ interrupted: the bot is restarting$/);
    await harness.engine.onMessage(harness.message({ text: 'after shutdown' }));
    expect(harness.groq.requests).toHaveLength(2);
  });

  it('answers after a restart what arrived during shutdown, and nothing twice', async () => {
    const groq = await startFakeGroq();
    const first = await createEngineHarness({ groq });
    const { directory } = first;
    groq.enqueue({ kind: 'text', text: 'slow '.repeat(40), tokensPerSecond: 10 });
    const inFlight = first.message({ text: 'in flight' });
    await first.engine.onMessage(inFlight);
    await groq.waitForRequests(1);
    const stopping = first.engine.shutdown(200);
    const late = first.message({ text: 'arrived while stopping', eventId: 'EvLate' });
    await first.engine.onMessage(late);
    await stopping;
    expect(groq.requests).toHaveLength(1);
    await first.close({ keepFiles: true });

    harness = await createEngineHarness({ directory, groq });
    await harness.idle();
    // The platform retries the late message: a duplicate by now.
    await harness.engine.onMessage({ ...late });
    await harness.idle();
    expect(groq.requests).toHaveLength(2);
    expect(messagesOf(groq.requests[1]).at(-1)).toEqual({ role: 'user', content: 'arrived while stopping' });
    expect(harness.adapter.targets.map((target) => target.texts())).toEqual([['You said: arrived while stopping']]);
    await groq.close();
  });
});
