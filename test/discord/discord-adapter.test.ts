import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/errors.js';
import { fakeIds, fakeUsers } from '../fakes/fake-discord.js';
import { messageArrived, settle, startAdapterHarness, type AdapterHarness } from './discord-harness.js';

const bot = `<@${fakeIds.bot}>`;

describe('Discord adapter at the port (real discord.js against the fake)', () => {
  let harness: AdapterHarness;

  beforeAll(async () => {
    harness = await startAdapterHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('logs in, reports ready and registers the slash commands', () => {
    expect(harness.adapter.health()).toBe('ready');
    expect(harness.fake.identifyCount).toBe(1);
    const puts = harness.fake.callsTo('PUT', /^\/applications\/\d+\/commands$/);
    expect(puts).toHaveLength(1);
    const names = (puts[0]!.body as Array<{ name: string }>).map((command) => command.name).sort();
    expect(names).toEqual(['ask', 'reset', 'system']);
  });

  it('turns a channel mention into an addressed message keyed on its own id, mention removed', async () => {
    const id = harness.fake.sendMessage({ content: `${bot} what does PRAGMA journal_mode=WAL change?` });
    const message = await messageArrived(harness, id);
    expect(message).toMatchObject({
      platform: 'discord',
      workspaceId: fakeIds.guild,
      channelId: fakeIds.general,
      threadKey: id,
      isDirect: false,
      addressed: true,
      author: { id: fakeIds.ada, name: 'Ada' },
      text: 'what does PRAGMA journal_mode=WAL change?',
      messageId: id,
    });
    expect(message.eventId).toBeUndefined();
    expect(message.replyToMessageId).toBeUndefined();
  });

  it('writes other user mentions as display names and strips the legacy <@!id> form', async () => {
    const id = harness.fake.sendMessage({ content: `<@!${fakeIds.bot}> ask <@${fakeIds.bob}> about it` });
    const message = await messageArrived(harness, id);
    expect(message.text).toBe('ask @Bob about it');
    expect(message.addressed).toBe(true);
  });

  it('ignores @everyone, other bots, webhooks, system messages and plain channel chatter', async () => {
    const ignored = [
      harness.fake.sendMessage({ content: '@everyone standup in 5' }),
      harness.fake.sendMessage({ content: `${bot} ping from another bot`, author: fakeUsers.otherBot }),
      harness.fake.sendMessage({ content: `${bot} from a webhook`, webhookId: '1310000000000000777' }),
      harness.fake.sendMessage({ content: '', type: 7 }),
      harness.fake.sendMessage({ content: 'just chatting' }),
      harness.fake.sendMessage({ content: `<@&${fakeIds.moderatorRole}> please look` }),
    ];
    await settle(harness);
    const seen = new Set(harness.handlers.messages.map((message) => message.messageId));
    for (const id of ignored) expect(seen.has(id)).toBe(false);
  });

  it('forwards a reply without a mention unaddressed, with the replied-to id (a reply ping is not a mention)', async () => {
    const question = harness.fake.sendMessage({ content: `${bot} first` });
    await messageArrived(harness, question);
    const target = harness.adapter.replyTarget(harness.handlers.messages.at(-1)!);
    const answer = await target.post('an answer');
    const followUp = harness.fake.sendMessage({ content: 'why is that?', replyTo: answer.messageId, ping: true });
    const message = await messageArrived(harness, followUp);
    expect(message).toMatchObject({ addressed: false, replyToMessageId: answer.messageId, threadKey: followUp });
    const withMention = harness.fake.sendMessage({ content: `${bot} and for writers?`, replyTo: answer.messageId });
    expect(await messageArrived(harness, withMention)).toMatchObject({ addressed: true, replyToMessageId: answer.messageId });
  });

  it('keys thread messages on the thread, with its parent, addressed only when mentioned', async () => {
    const mentioned = harness.fake.sendMessage({ channelId: fakeIds.thread, content: `${bot} explain WAL` });
    const plain = harness.fake.sendMessage({ channelId: fakeIds.thread, content: 'can you give an example?' });
    const first = await messageArrived(harness, mentioned);
    const second = await messageArrived(harness, plain);
    expect(first).toMatchObject({ channelId: fakeIds.thread, threadKey: fakeIds.thread, parentChannelId: fakeIds.general, addressed: true });
    expect(second).toMatchObject({ channelId: fakeIds.thread, threadKey: fakeIds.thread, parentChannelId: fakeIds.general, addressed: false });
  });

  it('treats a DM as addressed and direct, keyed on the DM channel', async () => {
    const id = harness.fake.sendMessage({ dm: true, content: 'hi, can you explain CRDTs?' });
    expect(await messageArrived(harness, id)).toMatchObject({
      workspaceId: '',
      channelId: fakeIds.adaDm,
      threadKey: fakeIds.adaDm,
      isDirect: true,
      addressed: true,
      text: 'hi, can you explain CRDTs?',
    });
  });

  it('posts replies that ping nobody, chains continuations, and ignores its own echoes', async () => {
    const id = harness.fake.sendMessage({ content: `${bot} tell me` });
    const incoming = await messageArrived(harness, id);
    const target = harness.adapter.replyTarget(incoming);
    expect(target.maxLength).toBe(2_000);
    expect(target.scopeOf('post')).toEqual({ key: `discord:channel:${fakeIds.general}`, capacity: 5, refillPerSecond: 1 });
    expect(target.scopeOf('edit')).toEqual(target.scopeOf('post'));
    const first = await target.post('part one @everyone');
    await target.edit(first, 'part one, edited @everyone');
    const second = await target.post('part two');
    const stored = harness.fake.messages;
    expect(stored.get(first.messageId)).toMatchObject({ referenceId: id, content: 'part one, edited @everyone' });
    expect(stored.get(second.messageId)).toMatchObject({ referenceId: first.messageId });
    for (const message of [stored.get(first.messageId)!, stored.get(second.messageId)!]) {
      for (const allowed of message.allowedMentions) expect(allowed).toEqual({ parse: [], replied_user: false });
    }
    await settle(harness);
    const forwarded = new Set(harness.handlers.messages.map((message) => message.messageId));
    expect(forwarded.has(first.messageId)).toBe(false);
    expect(forwarded.has(second.messageId)).toBe(false);
  });

  it('shows typing until the first part is posted', async () => {
    const id = harness.fake.sendMessage({ channelId: fakeIds.random, content: `${bot} think hard` });
    const target = harness.adapter.replyTarget(await messageArrived(harness, id));
    await target.indicate?.('thinking');
    await target.indicate?.('typing');
    await harness.fake.waitFor(() => harness.fake.callsTo('POST', new RegExp(`^/channels/${fakeIds.random}/typing$`)).length === 1, 5_000, 'typing');
    await target.post('done thinking');
    await target.indicate?.('typing');
    expect(harness.fake.callsTo('POST', new RegExp(`^/channels/${fakeIds.random}/typing$`))).toHaveLength(1);
  });

  it('translates 50035 into message_too_long and a 429 into platform_rate_limited with its wait', async () => {
    const id = harness.fake.sendMessage({ channelId: fakeIds.random, content: `${bot} long` });
    const target = harness.adapter.replyTarget(await messageArrived(harness, id));
    const tooLong = await target.post('x'.repeat(2_001)).catch((error: unknown) => error);
    expect(tooLong).toBeInstanceOf(PlatformError);
    expect((tooLong as PlatformError).code).toBe('message_too_long');

    harness.fake.forceRateLimit({ channelId: fakeIds.random, retryAfterSeconds: 0.873 });
    const limited = await target.post('hello').catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(PlatformError);
    expect((limited as PlatformError).code).toBe('platform_rate_limited');
    expect((limited as PlatformError).retryAfterMs).toBeGreaterThanOrEqual(873);
    expect((limited as PlatformError).retryAfterMs).toBeLessThan(2_000);
    expect((limited as PlatformError).retryable).toBe(true);
    expect(harness.fake.rateLimitedCalls).toHaveLength(1);
  });

  it('edits stored channel messages by REST (crash recovery)', async () => {
    const id = harness.fake.sendMessage({ content: `${bot} recover me` });
    const target = harness.adapter.replyTarget(await messageArrived(harness, id));
    const ref = await target.post('half an answer');
    await harness.adapter.editStored(ref, 'half an answer\n\n⚠️ interrupted: the bot restarted');
    expect(harness.fake.messages.get(ref.messageId)!.content).toBe('half an answer\n\n⚠️ interrupted: the bot restarted');
    expect(harness.fake.messages.get(ref.messageId)!.allowedMentions.at(-1)).toEqual({ parse: [], replied_user: false });
  });
});
