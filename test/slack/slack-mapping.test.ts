import { describe, expect, it } from 'vitest';
import { mapSlackCommand } from '../../adapters/slack/slack-commands.js';
import { asMessageEvent, mapSlackEvent, replyThreadTs, type SlackBotIdentity } from '../../adapters/slack/slack-event-mapper.js';
import { escapeSlackText, neutraliseMentions, removeOwnMention } from '../../adapters/slack/slack-mentions.js';
import { slackMessageBody } from '../../adapters/slack/slack-message-body.js';
import { commandFixture, eventFixture } from './slack-payloads.js';

const bot: SlackBotIdentity = { userId: 'U0BOTB0T01', botId: 'B0BOTB0T01', teamId: 'T0A1B2C3D4' };
const commands = { askCommand: '/ask', systemCommand: '/system', resetCommand: '/reset' };

function map(name: string, overrides: Record<string, unknown> = {}) {
  const body = eventFixture(name);
  const event = asMessageEvent({ ...body.event, ...overrides });
  if (!event) throw new Error('fixture is not an event');
  return mapSlackEvent({ event_id: body.event_id }, event, bot, 1_000);
}

describe('Slack event mapping', () => {
  it('answers a top-level mention in a thread under it, without the mention in the text', () => {
    expect(map('app-mention')).toEqual({
      platform: 'slack',
      workspaceId: 'T0A1B2C3D4',
      channelId: 'C0GENERAL1',
      threadKey: '1764072000.000100',
      isDirect: false,
      addressed: true,
      author: { id: 'U0ADA00001', name: 'U0ADA00001' },
      text: 'Why is SQLite WAL mode faster for readers?',
      messageId: '1764072000.000100',
      eventId: 'Ev0MENTION01',
      receivedAt: 1_000,
    });
  });

  it('continues the thread a mention was written in', () => {
    expect(map('app-mention', { thread_ts: '1764071000.000001' })).toMatchObject({ threadKey: '1764071000.000001', addressed: true });
  });

  it('maps the message copy of a mention identically (the engine dedupes by channel and ts)', () => {
    const fromMessage = map('message-channel-same-ts');
    const fromMention = map('app-mention');
    expect(fromMessage).toEqual({ ...fromMention, eventId: 'Ev0MESSAGE01' });
  });

  it('forwards thread replies without a mention as not addressed, and drops top-level chatter', () => {
    expect(map('message-thread-followup')).toMatchObject({ threadKey: '1764072000.000100', addressed: false, text: 'And what about writers?' });
    expect(map('message-thread-followup', { thread_ts: undefined })).toBeUndefined();
  });

  it('keeps top-level DMs in one conversation per DM channel and DM threads separate', () => {
    const top = map('message-im');
    expect(top).toMatchObject({ workspaceId: '', isDirect: true, addressed: true, threadKey: 'D0ADADM001' });
    expect(replyThreadTs(top!)).toBeUndefined();
    const thread = map('message-im-thread');
    expect(thread).toMatchObject({ isDirect: true, threadKey: '1764072100.000300' });
    expect(replyThreadTs(thread!)).toBe('1764072100.000300');
  });

  it('treats group DMs like channels', () => {
    expect(map('message-thread-followup', { channel: 'G0GROUPDM1', channel_type: 'mpim', thread_ts: undefined })).toBeUndefined();
    expect(map('message-channel-same-ts', { channel: 'G0GROUPDM1', channel_type: 'mpim' })).toMatchObject({ isDirect: false, addressed: true, workspaceId: 'T0A1B2C3D4' });
  });

  it('ignores its own messages with and without a subtype, edits, other bots and joins', () => {
    expect(map('message-own-bot')).toBeUndefined();
    expect(map('message-own-bot-no-subtype')).toBeUndefined();
    expect(map('message-changed-by-bot')).toBeUndefined();
    expect(map('message-other-bot')).toBeUndefined();
    expect(map('message-thread-followup', { subtype: 'channel_join' })).toBeUndefined();
    expect(map('message-thread-followup', { subtype: 'message_deleted' })).toBeUndefined();
    expect(map('message-thread-followup', { bot_id: 'B0OTHERB01' })).toBeUndefined();
  });

  it('gives the engine the characters the user typed, not Slack’s escapes', () => {
    expect(map('app-mention', { text: '<@U0BOTB0T01> is a &lt; b &amp;&amp; b &gt; c? &amp;lt;' })?.text).toBe('is a < b && b > c? &lt;');
  });

  it('accepts a thread reply also sent to the channel', () => {
    expect(map('message-thread-followup', { subtype: 'thread_broadcast' })).toMatchObject({ addressed: false, threadKey: '1764072000.000100' });
  });
});

describe('Slack mentions', () => {
  it('removes only the bot’s own mention', () => {
    expect(removeOwnMention('<@U0BOTB0T01> hi <@U0ADA00001>', 'U0BOTB0T01')).toBe('hi <@U0ADA00001>');
    expect(removeOwnMention('<@U0BOTB0T01|groqbot>: what now?', 'U0BOTB0T01')).toBe('what now?');
  });

  it('neutralises every notifying form while keeping it readable', () => {
    const text = 'Hey <!channel> and <!here|here>, <!everyone>, <!subteam^S0OPS|@ops>, <@U0ADA00001>, <@W0ENT00001|ada> and @here';
    const safe = neutraliseMentions(text);
    expect(safe).not.toMatch(/<!|<@/);
    expect(safe).not.toMatch(/@(channel|here|everyone|ops|ada|U0ADA00001)\b/);
    expect(safe.replace(/\u200B/g, '')).toBe('Hey @channel and @here, @everyone, @ops, @U0ADA00001, @ada and @here');
  });

  it('sends a markdown block and an escaped plain fallback, neither able to ping', () => {
    const body = slackMessageBody('Done <!channel> & **bold** <https://x|y>');
    expect(body.blocks).toEqual([{ type: 'markdown', text: 'Done @\u200Bchannel & **bold** <https://x|y>' }]);
    expect(body.text).toBe(escapeSlackText('Done @\u200Bchannel & **bold** <https://x|y>'));
    expect(body.text).not.toContain('<');
  });
});

describe('Slack command mapping', () => {
  it('maps the configured commands, help and DMs', () => {
    const ask = mapSlackCommand(commands, commandFixture('slash-ask') as never, 'T0A1B2C3D4', 5);
    expect(ask).toMatchObject({ name: 'ask', text: 'Explain idempotency keys in one paragraph', isDirect: false, workspaceId: 'T0A1B2C3D4', author: { id: 'U0ADA00001', name: 'ada' } });
    const reset = mapSlackCommand(commands, commandFixture('slash-reset-dm') as never, 'T0A1B2C3D4', 5);
    expect(reset).toMatchObject({ name: 'reset', isDirect: true, workspaceId: '', channelId: 'D0ADADM001' });
    const help = mapSlackCommand(commands, { ...commandFixture('slash-system-show'), text: ' help ' } as never, 'T0A1B2C3D4', 5);
    expect(help?.name).toBe('help');
    expect(mapSlackCommand(commands, { ...commandFixture('slash-ask'), command: '/other' } as never, 'T0A1B2C3D4', 5)).toBeUndefined();
  });
});
