import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/errors.js';
import { deliverCommand, deliverEvent, fakeSlackIds } from '../fakes/fake-slack.js';
import { startAdapterHarness, type AdapterHarness } from './slack-adapter-harness.js';
import { commandFrom, directMessageEvent, eventFixture, eventFrom, mentionEvent } from './slack-payloads.js';

const signing = { signingSecret: fakeSlackIds.signingSecret };

describe('Slack adapter over HTTP', () => {
  let harness: AdapterHarness;

  beforeAll(async () => {
    harness = await startAdapterHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('learns its identity with auth.test and is ready', () => {
    expect(harness.slack.callsTo('auth.test')).toHaveLength(1);
    expect(harness.adapter.health()).toBe('ready');
  });

  it('answers url_verification with the challenge', async () => {
    const body = eventFixture('url-verification');
    const delivery = await deliverEvent(harness.eventsUrl, body, signing);
    expect(delivery.status).toBe(200);
    expect(JSON.parse(delivery.text)).toEqual({ challenge: body.challenge });
  });

  it('refuses a bad or stale signature with 401 and hands nothing on', async () => {
    const before = harness.handlers.messages.length;
    const bad = await deliverEvent(harness.eventsUrl, mentionEvent('hello'), { ...signing, signature: 'v0=0000' });
    const wrongSecret = await deliverEvent(harness.eventsUrl, mentionEvent('hello'), { signingSecret: 'not-the-secret' });
    const stale = await deliverEvent(harness.eventsUrl, mentionEvent('hello'), { ...signing, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect([bad.status, wrongSecret.status, stale.status]).toEqual([401, 401, 401]);
    const fresh = await deliverEvent(harness.eventsUrl, mentionEvent('hello'), { ...signing, timestamp: Math.floor(Date.now() / 1000) - 4 * 60 });
    expect(fresh.status).toBe(200);
    await harness.slack.waitFor(() => harness.handlers.messages.length === before + 1, 5_000, 'the fresh delivery');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(harness.handlers.messages.length).toBe(before + 1);
  });

  it('acknowledges events and hands mentions, thread replies and DMs to the engine', async () => {
    const mention = mentionEvent('What is <@U0ADA00001> doing?');
    const dm = directMessageEvent('hi there');
    for (const body of [mention, dm]) expect((await deliverEvent(harness.eventsUrl, body, signing)).status).toBe(200);
    await harness.slack.waitFor(() => harness.handlers.messages.some((message) => message.eventId === dm.event_id), 5_000);
    const mapped = harness.handlers.messages.find((message) => message.eventId === mention.event_id);
    expect(mapped).toMatchObject({ text: 'What is <@U0ADA00001> doing?', threadKey: mention.event.ts, addressed: true, workspaceId: fakeSlackIds.teamId });
    expect(harness.handlers.messages.find((message) => message.eventId === dm.event_id)).toMatchObject({ isDirect: true, threadKey: 'D0ADADM001' });
  });

  it('drops its own messages, edits and other bots before the engine sees them', async () => {
    const marker = mentionEvent('marker after the ignored ones');
    for (const name of ['message-own-bot', 'message-own-bot-no-subtype', 'message-changed-by-bot', 'message-other-bot']) {
      expect((await deliverEvent(harness.eventsUrl, eventFrom(name), signing)).status).toBe(200);
    }
    await deliverEvent(harness.eventsUrl, marker, signing);
    await harness.slack.waitFor(() => harness.handlers.messages.some((message) => message.eventId === marker.event_id), 5_000);
    const seen = harness.handlers.messages.map((message) => message.author.id);
    expect(seen).not.toContain(fakeSlackIds.botUserId);
    expect(harness.handlers.messages.some((message) => message.text.includes('Deploy finished'))).toBe(false);
  });

  it('acknowledges a slash command at once and answers privately through response_url', async () => {
    const responseUrl = harness.slack.responseUrl('system-show');
    harness.handlers.onCommandRun = async (_command, responder) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await responder.respond('Prompt is <!here> friendly');
    };
    const started = Date.now();
    const delivery = await deliverCommand(harness.eventsUrl, commandFrom('slash-system-show', { response_url: responseUrl }), signing);
    expect(delivery.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3_000);
    await harness.slack.waitFor(() => harness.slack.responses.some((post) => post.id === 'system-show'), 5_000, 'the ephemeral answer');
    const post = harness.slack.responses.find((response) => response.id === 'system-show')!;
    expect(post.body).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(post.body)).not.toContain('<!here>');
    expect(harness.handlers.commands.at(-1)?.command).toMatchObject({ name: 'system', text: '', isDirect: false });
    harness.handlers.onCommandRun = undefined;
  });

  it('falls back to chat.postEphemeral when response_url fails', async () => {
    harness.handlers.onCommandRun = async (_command, responder) => responder.respond('fallback works');
    const ephemeralBefore = harness.slack.callsTo('chat.postEphemeral').length;
    await deliverCommand(harness.eventsUrl, commandFrom('slash-system-show', { response_url: harness.slack.apiUrl.replace("/api/", "/missing/") }), signing);
    await harness.slack.waitFor(() => harness.slack.callsTo('chat.postEphemeral').length > ephemeralBefore, 5_000, 'chat.postEphemeral');
    expect(harness.slack.callsTo('chat.postEphemeral').at(-1)?.body).toMatchObject({ channel: 'C0GENERAL1', user: 'U0ADA00001' });
    harness.handlers.onCommandRun = undefined;
  });

  it('opens an /ask answer under a root message that names the asker without pinging', async () => {
    let place: Awaited<ReturnType<import('../../src/conversation/port.js').CommandResponder['openAnswer']>> | undefined;
    harness.handlers.onCommandRun = async (_command, responder) => {
      place = await responder.openAnswer('Is <!channel> allowed?');
    };
    await deliverCommand(harness.eventsUrl, commandFrom('slash-ask', { response_url: harness.slack.responseUrl() }), signing);
    await harness.slack.waitFor(() => place !== undefined, 5_000, 'openAnswer');
    const root = harness.slack.messages.get(`C0GENERAL1:${place!.threadKey}`)!;
    expect(root.threadTs).toBeUndefined();
    expect(root.markdown).toContain('**ada** asked: Is @\u200Bchannel allowed?');
    expect(root.text).not.toMatch(/<[@!]/);
    expect(place).toMatchObject({ channelId: 'C0GENERAL1', questionMessageId: place!.threadKey });
    const ref = await place!.target.post('answer');
    expect(harness.slack.messages.get(`C0GENERAL1:${ref.messageId}`)?.threadTs).toBe(place!.threadKey);
    harness.handlers.onCommandRun = undefined;
  });

  it('posts and edits in the thread, with the shared budgets', async () => {
    const mention = mentionEvent('budget check');
    await deliverEvent(harness.eventsUrl, mention, signing);
    await harness.slack.waitFor(() => harness.handlers.messages.some((message) => message.eventId === mention.event_id), 5_000);
    const message = harness.handlers.messages.find((candidate) => candidate.eventId === mention.event_id)!;
    const target = harness.adapter.replyTarget(message);
    expect(target.maxLength).toBe(3_500);
    expect(target.indicate).toBeDefined();
    expect(target.scopeOf('edit')).toEqual({ key: `slack:update:${fakeSlackIds.teamId}`, capacity: 20, refillPerSecond: 50 / 60 });
    expect(target.scopeOf('post')).toEqual({ key: 'slack:post:C0GENERAL1', capacity: 3, refillPerSecond: 1 });
    const ref = await target.post('first **words**');
    await target.edit(ref, 'first **words** and <@U0ADA00001>');
    const stored = harness.slack.messages.get(`C0GENERAL1:${ref.messageId}`)!;
    expect(stored.threadTs).toBe(mention.event.ts);
    expect(stored.markdown).toBe('first **words** and @\u200BU0ADA00001');
    const update = harness.slack.callsTo('chat.update').at(-1)!;
    expect(update.body.blocks).toEqual([{ type: 'markdown', text: 'first **words** and @\u200BU0ADA00001' }]);
  });

  it('answers a top-level DM at the top level of the DM', async () => {
    const dm = directMessageEvent('top-level dm');
    await deliverEvent(harness.eventsUrl, dm, signing);
    await harness.slack.waitFor(() => harness.handlers.messages.some((message) => message.eventId === dm.event_id), 5_000);
    const target = harness.adapter.replyTarget(harness.handlers.messages.find((message) => message.eventId === dm.event_id)!);
    // No thread to show "is thinking…" in: no indicator, so the renderer posts its placeholder.
    expect(target.indicate).toBeUndefined();
    const ref = await target.post('hello');
    expect(harness.slack.messages.get(`D0ADADM001:${ref.messageId}`)?.threadTs).toBeUndefined();
    expect(harness.slack.callsTo('chat.postMessage').at(-1)?.body.thread_ts).toBeUndefined();
  });

  it('translates 429, msg_too_long and outages into PlatformError without retrying them', async () => {
    const target = harness.adapter.replyTarget({ ...harness.handlers.messages[0]! });
    const ref = await target.post('x');
    harness.slack.failNext('chat.update', { status: 429, retryAfterSeconds: 3 });
    const updatesBefore = harness.slack.callsTo('chat.update').length;
    const limited = await target.edit(ref, 'y').catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(PlatformError);
    expect(limited).toMatchObject({ code: 'platform_rate_limited', retryAfterMs: 3_000 });
    expect(harness.slack.callsTo('chat.update').length).toBe(updatesBefore + 1);
    const tooLong = await target.edit(ref, 'z'.repeat(4_100)).catch((error: unknown) => error);
    expect(tooLong).toMatchObject({ code: 'message_too_long' });
    harness.slack.failNext('chat.postMessage', { status: 503 });
    const postsBefore = harness.slack.callsTo('chat.postMessage').length;
    await expect(target.post('down')).rejects.toMatchObject({ code: 'platform_unavailable' });
    expect(harness.slack.callsTo('chat.postMessage').length).toBe(postsBefore + 1);
    harness.slack.failNext('chat.update', { error: 'message_not_found' });
    await expect(harness.adapter.editStored(ref, 'recovered')).rejects.toMatchObject({ code: 'platform_rejected' });
    await harness.adapter.editStored(ref, 'recovered <!everyone>');
    expect(harness.slack.messages.get(`${ref.channelId}:${ref.messageId}`)?.markdown).toBe('recovered @\u200Beveryone');
  });

  it('shows "is thinking…" and stops after a refusal: per thread, or for the workspace on a scope refusal', async () => {
    const [first, second] = [mentionEvent('one'), mentionEvent('two')];
    for (const body of [first, second]) await deliverEvent(harness.eventsUrl, body, signing);
    await harness.slack.waitFor(() => harness.handlers.messages.some((message) => message.eventId === second.event_id), 5_000);
    const targetOf = (eventId: string) => harness.adapter.replyTarget(harness.handlers.messages.find((message) => message.eventId === eventId)!);
    const calls = () => harness.slack.callsTo('assistant.threads.setStatus').length;
    await targetOf(first.event_id).indicate!('thinking');
    expect(harness.slack.callsTo('assistant.threads.setStatus').at(-1)?.body).toMatchObject({ channel_id: 'C0GENERAL1', thread_ts: first.event.ts, status: 'is thinking…' });

    // Refused in one thread: that reply falls back quietly, later replies there get the placeholder (no indicator).
    harness.slack.failNext('assistant.threads.setStatus', { error: 'channel_not_found' });
    await expect(targetOf(first.event_id).indicate!('thinking')).rejects.toBeInstanceOf(PlatformError);
    expect(targetOf(first.event_id).indicate).toBeUndefined();
    const afterThreadRefusal = calls();
    await targetOf(second.event_id).indicate!('thinking');
    expect(calls()).toBe(afterThreadRefusal + 1);

    // A scope refusal switches it off for the whole workspace.
    harness.slack.failNext('assistant.threads.setStatus', { error: 'missing_scope' });
    await expect(targetOf(second.event_id).indicate!('thinking')).rejects.toBeInstanceOf(PlatformError);
    const third = mentionEvent('three');
    await deliverEvent(harness.eventsUrl, third, signing);
    await harness.slack.waitFor(() => harness.handlers.messages.some((message) => message.eventId === third.event_id), 5_000);
    expect(targetOf(third.event_id).indicate).toBeUndefined();
    expect(targetOf(second.event_id).indicate).toBeUndefined();
  });

  it('lets anyone change the system prompt without SLACK_ADMIN_USER_IDS', async () => {
    const command = harness.handlers.commands[0]!.command;
    expect(await harness.adapter.maySetSystemPrompt(command)).toBe(true);
    expect(harness.adapter.systemPromptAuthority).toBe('anyone');
  });
});

describe('Slack adapter start-up', () => {
  it('answers 503 before start, and is down when auth.test fails', async () => {
    const harness = await startAdapterHarness({ start: false, fake: { botToken: 'xoxb-some-other-token' } });
    try {
      expect(harness.adapter.health()).toBe('starting');
      const early = await deliverEvent(harness.eventsUrl, mentionEvent('too early'), signing);
      expect(early.status).toBe(503);
      await expect(harness.adapter.start(harness.handlers)).rejects.toMatchObject({ code: 'slack_auth_failed' });
      expect(harness.adapter.health()).toBe('down');
      expect(harness.handlers.messages).toHaveLength(0);
    } finally {
      await harness.close();
    }
  });

  it('limits system prompt changes to SLACK_ADMIN_USER_IDS when set', async () => {
    const harness = await startAdapterHarness({ environment: { SLACK_ADMIN_USER_IDS: 'U0BOSS0001, U0BOSS0002' } });
    try {
      const command = { platform: 'slack' as const, workspaceId: 'T', channelId: 'C', isDirect: false, name: 'system' as const, text: 'set x', commandId: '1', receivedAt: 0 };
      expect(await harness.adapter.maySetSystemPrompt({ ...command, author: { id: 'U0ADA00001', name: 'ada' } })).toBe(false);
      expect(await harness.adapter.maySetSystemPrompt({ ...command, author: { id: 'U0BOSS0002', name: 'boss' } })).toBe(true);
      expect(harness.adapter.systemPromptAuthority).toContain('SLACK_ADMIN_USER_IDS');
    } finally {
      await harness.close();
    }
  });
});

describe('Slack adapter acknowledgements over HTTP', () => {
  it('acknowledges an event once the engine has handled it, and at the latest when the bound is over', async () => {
    const harness = await startAdapterHarness({ acknowledgeWithinMs: 300 });
    try {
      let release = (): void => undefined;
      harness.handlers.onMessageRun = () => new Promise<void>((resolve) => (release = resolve));
      let acknowledged = false;
      const delivery = deliverEvent(harness.eventsUrl, mentionEvent('held by the engine'), signing).then((answer) => {
        acknowledged = true;
        return answer;
      });
      await harness.slack.waitFor(() => harness.handlers.messages.length === 1, 5_000, 'the message handed to the engine');
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Still handling: Slack has not been told yet, so a crash now would make it deliver the event again.
      expect(acknowledged).toBe(false);
      release();
      expect((await delivery).status).toBe(200);

      // Handling that never ends (a slow start) must not make Slack retry: the bound acknowledges it.
      let settled = false;
      harness.handlers.onMessageRun = () => new Promise<void>(() => undefined).finally(() => (settled = true));
      expect((await deliverEvent(harness.eventsUrl, mentionEvent('held for good'), signing)).status).toBe(200);
      expect(settled).toBe(false);
      expect(harness.handlers.messages).toHaveLength(2);
    } finally {
      await harness.close();
    }
  });
});
