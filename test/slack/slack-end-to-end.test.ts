import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neutraliseMentions } from '../../adapters/slack/slack-mentions.js';
import { startFakeGroq, type FakeGroq, type RecordedRequest } from '../fakes/fake-groq.js';
import { startFakeSlack, type FakeSlack } from '../fakes/fake-slack.js';
import { commandFrom, directMessageEvent, eventFrom, mentionEvent, threadReplyEvent } from './slack-payloads.js';
import {
  botMessagesIn,
  startSlackService,
  temporaryDatabase,
  waitForAnswer,
  type SlackService,
} from './slack-service-harness.js';

type ChatMessage = { role: string; content: string };

function messagesOf(request: RecordedRequest): ChatMessage[] {
  return (request.body.messages as ChatMessage[] | undefined) ?? [];
}

function lastUser(request: RecordedRequest): string {
  return messagesOf(request).filter((message) => message.role === 'user').at(-1)?.content ?? '';
}

/** The Groq request whose newest user message is `text` (each test uses unique texts). */
function requestFor(groq: FakeGroq, text: string): RecordedRequest {
  const request = groq.requests.find((candidate) => lastUser(candidate) === text);
  if (!request) throw new Error(`no Groq request for "${text}"`);
  return request;
}

function requestsFor(groq: FakeGroq, text: string): RecordedRequest[] {
  return groq.requests.filter((candidate) => lastUser(candidate) === text);
}

/** Delivers a mention in `channel` and waits for the default answer; returns the event. */
async function mentionAndWait(harness: { slack: FakeSlack; app: SlackService }, channel: string, question: string) {
  const event = mentionEvent(question, { channel });
  expect((await harness.app.deliver(event)).status).toBe(200);
  const parts = await waitForAnswer(harness.slack, { channel, threadTs: event.event.ts as string }, `You said: ${question}`);
  return { event, parts };
}

describe('Slack end to end (HTTP mode, fake Slack, fake Groq)', () => {
  let slack: FakeSlack;
  let groq: FakeGroq;
  let database: ReturnType<typeof temporaryDatabase>;
  let app: SlackService;
  const harness = () => ({ slack, app });

  beforeAll(async () => {
    [slack, groq] = await Promise.all([startFakeSlack(), startFakeGroq()]);
    database = temporaryDatabase();
    app = await startSlackService({ slack, groqBaseUrl: groq.baseUrl, databasePath: database.databasePath, environment: { EDIT_INTERVAL_MS: '250' } });
  });
  afterAll(async () => {
    await app?.stop();
    await Promise.all([slack?.close(), groq?.close()]);
    database?.remove();
  });

  it('answers a mention in a thread, updating it while streaming and ending with the exact answer', async () => {
    const answer = Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ') + '. **Done.**';
    groq.enqueue({ kind: 'text', text: answer, tokensPerSecond: 40 });
    const event = mentionEvent('Stream me something', { channel: 'C0STREAM01' });
    expect((await app.deliver(event)).status).toBe(200);
    const [reply, ...rest] = await waitForAnswer(slack, { channel: 'C0STREAM01', threadTs: event.event.ts as string }, answer);
    expect(rest).toHaveLength(0);
    expect(reply!.markdown).toBe(answer);
    // Posted once, then edited with growing text before the final one.
    expect(reply!.markdownHistory.length).toBeGreaterThanOrEqual(3);
    expect(reply!.markdownHistory.slice(0, -1).every((version) => version !== answer)).toBe(true);
    expect(requestFor(groq, 'Stream me something')).toBeDefined();
  });

  it('continues a thread without a mention, with the history', async () => {
    const { event } = await mentionAndWait(harness(), 'C0THREAD01', 'first question');
    const followUp = threadReplyEvent(event.event.ts as string, 'and a follow-up', { channel: 'C0THREAD01' });
    await app.deliver(followUp);
    await waitForAnswer(slack, { channel: 'C0THREAD01', threadTs: event.event.ts as string }, 'You said: first question You said: and a follow-up');
    expect(messagesOf(requestFor(groq, 'and a follow-up')).filter((message) => message.role !== 'system')).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'You said: first question' },
      { role: 'user', content: 'and a follow-up' },
    ]);
  });

  it('answers DMs at the top level with history, and keeps a DM thread separate', async () => {
    const first = directMessageEvent('dm one', undefined, { channel: 'D0DMTEST01' });
    await app.deliver(first);
    const [firstAnswer] = await waitForAnswer(slack, { channel: 'D0DMTEST01', threadTs: undefined }, 'You said: dm one');
    const second = directMessageEvent('dm two', undefined, { channel: 'D0DMTEST01' });
    await app.deliver(second);
    await waitForAnswer(slack, { channel: 'D0DMTEST01', threadTs: undefined, afterTs: firstAnswer!.ts }, 'You said: dm two');
    expect(messagesOf(requestFor(groq, 'dm two')).map((message) => message.content)).toEqual(
      expect.arrayContaining(['dm one', 'You said: dm one', 'dm two']),
    );

    const inThread = directMessageEvent('dm thread', first.event.ts as string, { channel: 'D0DMTEST01' });
    await app.deliver(inThread);
    await waitForAnswer(slack, { channel: 'D0DMTEST01', threadTs: first.event.ts as string }, 'You said: dm thread');
    expect(messagesOf(requestFor(groq, 'dm thread')).filter((message) => message.role !== 'system')).toEqual([{ role: 'user', content: 'dm thread' }]);
  });

  it('answers a retried event and a mention delivered as both event types once', async () => {
    const { event } = await mentionAndWait(harness(), 'C0RETRY001', 'retry me');
    expect((await app.deliver(event, { retryNum: 1 })).status).toBe(200);
    const asMessage = eventFrom('message-channel-same-ts', { ...event.event, type: 'message', channel_type: 'channel' });
    expect((await app.deliver(asMessage)).status).toBe(200);
    await mentionAndWait(harness(), 'C0RETRY001', 'marker after the retry');
    expect(requestsFor(groq, 'retry me')).toHaveLength(1);
    expect(botMessagesIn(slack, 'C0RETRY001', event.event.ts as string)).toHaveLength(1);
  });

  it('ignores its own messages with and without a subtype, message_changed and other bots', async () => {
    const { event } = await mentionAndWait(harness(), 'C0IGNORE01', 'start a conversation');
    const thread = { channel: 'C0IGNORE01', thread_ts: event.event.ts };
    const ignored = [
      eventFrom('message-own-bot', { ...thread, text: 'own bot_message' }),
      eventFrom('message-own-bot-no-subtype', { ...thread, text: 'own without subtype' }),
      eventFrom('message-changed-by-bot', { channel: 'C0IGNORE01' }),
      eventFrom('message-other-bot', { ...thread, text: 'other bot says hi' }),
      eventFrom('message-thread-followup', { ...thread, subtype: 'message_changed', text: 'edited by a person' }),
    ];
    for (const body of ignored) expect((await app.deliver(body)).status).toBe(200);
    const marker = threadReplyEvent(event.event.ts as string, 'a real follow-up', { channel: 'C0IGNORE01' });
    await app.deliver(marker);
    await waitForAnswer(slack, { channel: 'C0IGNORE01', threadTs: event.event.ts as string }, 'You said: start a conversation You said: a real follow-up');
    for (const text of ['own bot_message', 'own without subtype', 'partial answer…', 'other bot says hi', 'edited by a person']) {
      expect(groq.requests.some((request) => messagesOf(request).some((message) => message.content.includes(text)))).toBe(false);
    }
  });

  it('refuses a bad or stale signature with 401 and stores nothing', async () => {
    const event = mentionEvent('signed badly', { channel: 'C0SIGNED01' });
    expect((await app.deliver(event, { signature: 'v0=deadbeef' })).status).toBe(401);
    expect((await app.deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 301 })).status).toBe(401);
    await mentionAndWait(harness(), 'C0SIGNED01', 'marker after bad signatures');
    expect(requestsFor(groq, 'signed badly')).toHaveLength(0);
    // Nothing was recorded: the same event, correctly signed, is answered.
    await app.deliver(event);
    await waitForAnswer(slack, { channel: 'C0SIGNED01', threadTs: event.event.ts as string }, 'You said: signed badly');
  });

  it('/ask posts who asked and streams the answer in its thread, which continues as a conversation', async () => {
    const delivery = await app.command(commandFrom('slash-ask', { channel_id: 'C0ASK00001', text: 'What is <!here> idempotency?', response_url: slack.responseUrl() }));
    expect(delivery.status).toBe(200);
    await slack.waitFor(() => slack.messagesIn('C0ASK00001').some((message) => message.threadTs === undefined), 5_000, 'the /ask root');
    const root = slack.messagesIn('C0ASK00001').find((message) => message.threadTs === undefined)!;
    expect(root.markdown).toBe('**ada** asked: What is @\u200Bhere idempotency?');
    expect(root.text).not.toMatch(/<[@!]/);
    await waitForAnswer(slack, { channel: 'C0ASK00001', threadTs: root.ts }, 'You said: What is <!here> idempotency?'.replace('<!here>', '@\u200Bhere'));
    await app.deliver(threadReplyEvent(root.ts, 'tell me more', { channel: 'C0ASK00001' }));
    await slack.waitFor(() => requestsFor(groq, 'tell me more').length === 1, 10_000, 'the follow-up request');
    expect(messagesOf(requestFor(groq, 'tell me more')).map((message) => message.content)).toContain('What is <!here> idempotency?');
  });

  it('/system set, show and clear: the prompt reaches Groq in that channel only, confirmations are ephemeral', async () => {
    const prompt = 'You are a concise assistant for the platform team. Answer in British English.';
    const run = async (fixture: string, id: string) => {
      await app.command(commandFrom(fixture, { channel_id: 'C0SYSTEM01', response_url: slack.responseUrl(id) }));
      await slack.waitFor(() => slack.responses.some((post) => post.id === id), 5_000, `the ${id} response`);
      const post = slack.responses.find((response) => response.id === id)!;
      expect(post.body.response_type).toBe('ephemeral');
      return JSON.stringify(post.body);
    };
    expect(await run('slash-system-set', 'system-set')).toContain('British English');
    expect(await run('slash-system-show', 'system-show')).toContain('British English');
    await mentionAndWait(harness(), 'C0SYSTEM01', 'with the custom prompt');
    await mentionAndWait(harness(), 'C0SYSTEM02', 'in another channel');
    const systemOf = (text: string) => messagesOf(requestFor(groq, text)).find((message) => message.role === 'system')?.content ?? '';
    expect(systemOf('with the custom prompt')).toContain(prompt);
    expect(systemOf('in another channel')).not.toContain('British English');
    await run('slash-system-clear', 'system-clear');
    await mentionAndWait(harness(), 'C0SYSTEM01', 'after clearing');
    expect(systemOf('after clearing')).not.toContain('British English');
  });

  it('/reset starts a fresh DM conversation', async () => {
    const first = directMessageEvent('before reset', undefined, { channel: 'D0RESET001' });
    await app.deliver(first);
    const [answer] = await waitForAnswer(slack, { channel: 'D0RESET001', threadTs: undefined }, 'You said: before reset');
    await app.command(commandFrom('slash-reset-dm', { channel_id: 'D0RESET001', response_url: slack.responseUrl('reset') }));
    await slack.waitFor(() => slack.responses.some((post) => post.id === 'reset'), 5_000, 'the /reset response');
    await app.deliver(directMessageEvent('after reset', undefined, { channel: 'D0RESET001' }));
    await waitForAnswer(slack, { channel: 'D0RESET001', threadTs: undefined, afterTs: answer!.ts }, 'You said: after reset');
    expect(messagesOf(requestFor(groq, 'after reset')).some((message) => message.content.includes('before reset'))).toBe(false);
  });

  it('ends exact after a forced 429 and after msg_too_long', async () => {
    const answer = Array.from({ length: 60 }, (_, index) => `token${index}`).join(' ');
    groq.enqueue({ kind: 'text', text: answer, tokensPerSecond: 60 });
    slack.failNext('chat.update', { status: 429, retryAfterSeconds: 1 });
    const limited = mentionEvent('rate limit me', { channel: 'C0LIMIT001' });
    await app.deliver(limited);
    await waitForAnswer(slack, { channel: 'C0LIMIT001', threadTs: limited.event.ts as string }, answer);
    expect(slack.calls.some((call) => call.method === 'chat.update' && call.status === 429)).toBe(true);

    groq.enqueue({ kind: 'text', text: answer, tokensPerSecond: 60 });
    slack.failNext('chat.update', { error: 'msg_too_long' });
    const tooLong = mentionEvent('too long for slack', { channel: 'C0LIMIT002' });
    await app.deliver(tooLong);
    const parts = await waitForAnswer(slack, { channel: 'C0LIMIT002', threadTs: tooLong.event.ts as string }, answer);
    expect(slack.calls.some((call) => call.method === 'chat.update' && call.error === 'msg_too_long')).toBe(true);
    expect(parts.length).toBeGreaterThanOrEqual(1);
  });

  it('never pings from model output', async () => {
    const answer = 'Heads up <!channel>, <!here> and <!everyone>: ask <!subteam^S0OPS|@ops> or <@U0ADA00001>.';
    groq.enqueue({ kind: 'text', text: answer });
    const event = mentionEvent('say something loud', { channel: 'C0LOUD0001' });
    await app.deliver(event);
    const parts = await waitForAnswer(slack, { channel: 'C0LOUD0001', threadTs: event.event.ts as string }, neutraliseMentions(answer));
    for (const part of parts) {
      for (const version of [...part.history, ...part.markdownHistory]) expect(version ?? '').not.toMatch(/<[!@]/);
    }
  });
});

describe('Slack end to end: restarts, admins and load', () => {
  it('does not answer a retried event again after a restart on the same database', async () => {
    const [slack, groq] = await Promise.all([startFakeSlack(), startFakeGroq()]);
    const database = temporaryDatabase();
    try {
      let app = await startSlackService({ slack, groqBaseUrl: groq.baseUrl, databasePath: database.databasePath });
      const { event } = await mentionAndWait({ slack, app }, 'C0RESTART1', 'answer me once');
      await app.stop();
      app = await startSlackService({ slack, groqBaseUrl: groq.baseUrl, databasePath: database.databasePath });
      try {
        expect((await app.deliver(event, { retryNum: 2 })).status).toBe(200);
        await mentionAndWait({ slack, app }, 'C0RESTART1', 'marker after the restart');
        expect(requestsFor(groq, 'answer me once')).toHaveLength(1);
        expect(botMessagesIn(slack, 'C0RESTART1', event.event.ts as string)).toHaveLength(1);
      } finally {
        await app.stop();
      }
    } finally {
      await Promise.all([slack.close(), groq.close()]);
      database.remove();
    }
  });

  it('lets only SLACK_ADMIN_USER_IDS change the system prompt', async () => {
    const [slack, groq] = await Promise.all([startFakeSlack(), startFakeGroq()]);
    const database = temporaryDatabase();
    const app = await startSlackService({ slack, groqBaseUrl: groq.baseUrl, databasePath: database.databasePath, environment: { SLACK_ADMIN_USER_IDS: 'U0BOSS0001' } });
    try {
      const respond = async (overrides: Record<string, string>, id: string) => {
        await app.command(commandFrom('slash-system-set', { response_url: slack.responseUrl(id), ...overrides }));
        await slack.waitFor(() => slack.responses.some((post) => post.id === id), 5_000, `the ${id} response`);
        return JSON.stringify(slack.responses.find((post) => post.id === id)!.body);
      };
      expect(await respond({}, 'not-admin')).toContain('SLACK_ADMIN_USER_IDS');
      await mentionAndWait({ slack, app }, 'C0GENERAL1', 'prompt still default?');
      expect(messagesOf(requestFor(groq, 'prompt still default?'))[0]?.content).not.toContain('British English');
      expect(await respond({ user_id: 'U0BOSS0001', user_name: 'boss' }, 'admin')).toContain('Saved');
      await mentionAndWait({ slack, app }, 'C0GENERAL1', 'prompt now custom?');
      expect(messagesOf(requestFor(groq, 'prompt now custom?'))[0]?.content).toContain('British English');
    } finally {
      await app.stop();
      await Promise.all([slack.close(), groq.close()]);
      database.remove();
    }
  });

  it('30 mentions at once in one workspace all end exact without a 429, on the default budget', async () => {
    const [slack, groq] = await Promise.all([startFakeSlack(), startFakeGroq()]);
    const database = temporaryDatabase();
    const filler = Array.from({ length: 30 }, (_, index) => `part${index}`).join(' ');
    groq.setFallback((request) => ({ kind: 'text', text: `Answer to ${lastUser(request)}: ${filler}`, tokensPerSecond: 100 }));
    const app = await startSlackService({ slack, groqBaseUrl: groq.baseUrl, databasePath: database.databasePath });
    try {
      // Thirty channels of one workspace: posts have per-channel budgets, edits share the workspace's.
      const events = Array.from({ length: 30 }, (_, index) => mentionEvent(`load ${index}`, { channel: `C0LOAD${String(index).padStart(4, '0')}` }));
      const deliveries = await Promise.all(events.map((event) => app.deliver(event)));
      expect(deliveries.every((delivery) => delivery.status === 200)).toBe(true);
      await Promise.all(
        events.map((event, index) =>
          waitForAnswer(slack, { channel: event.event.channel as string, threadTs: event.event.ts as string }, `Answer to load ${index}: ${filler}`, 60_000),
        ),
      );
      expect(slack.rateLimitedCount).toBe(0);
      expect(slack.callsTo('chat.update').every((call) => call.status === 200)).toBe(true);
    } finally {
      await app.stop();
      await Promise.all([slack.close(), groq.close()]);
      database.remove();
    }
  }, 90_000);
});
