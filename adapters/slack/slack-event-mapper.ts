import type { IncomingMessage } from '../../src/conversation/port.js';
import { mentionsUser, removeOwnMention, unescapeSlackText } from './slack-mentions.js';

/** Who the bot is, as `auth.test` reported it. */
export interface SlackBotIdentity {
  userId: string;
  botId: string;
  teamId: string;
}

/** The fields of an `app_mention` or `message` event the adapter reads; everything else is ignored. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  bot_profile?: unknown;
  text?: string;
  ts?: string;
  thread_ts?: string;
  channel?: string;
  channel_type?: string;
}

/** The envelope fields the adapter reads. */
export interface SlackEventEnvelope {
  event_id?: string;
}

/**
 * Subtypes that are still a person writing to the channel: a thread reply also sent to the channel,
 * and a message with a file (its text is answered; the file itself is not read).
 */
const acceptedSubtypes = new Set(['thread_broadcast', 'file_share']);

/** Reads the subset of an event payload the mapper needs, refusing anything that is not shaped like one. */
export function asMessageEvent(value: unknown): SlackMessageEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const text = (key: string) => (typeof record[key] === 'string' ? (record[key] as string) : undefined);
  const type = text('type');
  if (type === undefined) return undefined;
  return {
    type,
    subtype: text('subtype'),
    user: text('user'),
    bot_id: text('bot_id'),
    bot_profile: record.bot_profile,
    text: text('text'),
    ts: text('ts'),
    thread_ts: text('thread_ts'),
    channel: text('channel'),
    channel_type: text('channel_type'),
  };
}

/**
 * Translates an `app_mention` or `message` event into what the engine handles, or `undefined` when it is
 * certainly not for the bot: its own or other bots' messages, edits, deletes, joins, and top-level
 * channel messages that do not mention it. Thread replies without a mention go through as
 * `addressed: false`; the engine answers them only in a conversation it already has.
 */
export function mapSlackEvent(
  envelope: SlackEventEnvelope,
  event: SlackMessageEvent,
  bot: SlackBotIdentity,
  receivedAt: number,
): IncomingMessage | undefined {
  if (event.type !== 'app_mention' && event.type !== 'message') return undefined;
  if (event.subtype !== undefined && !acceptedSubtypes.has(event.subtype)) return undefined;
  if (event.user === undefined || event.ts === undefined || event.channel === undefined) return undefined;
  if (event.user === bot.userId || (event.bot_id !== undefined && event.bot_id === bot.botId)) return undefined;
  if (event.bot_id !== undefined || event.bot_profile !== undefined) return undefined;

  const rawText = event.text ?? '';
  const mentioned = event.type === 'app_mention' || mentionsUser(rawText, bot.userId);
  const inThread = event.thread_ts !== undefined && event.thread_ts !== event.ts;
  const isDirect = event.type === 'message' && event.channel_type === 'im';
  const text = unescapeSlackText(removeOwnMention(rawText, bot.userId));
  const base = {
    platform: 'slack' as const,
    channelId: event.channel,
    author: { id: event.user, name: event.user },
    text,
    messageId: event.ts,
    eventId: envelope.event_id,
    receivedAt,
  };

  if (isDirect) {
    // Top-level DM messages are one running conversation keyed by the DM channel; a DM thread is its own.
    return {
      ...base,
      workspaceId: '',
      isDirect: true,
      addressed: true,
      threadKey: inThread ? (event.thread_ts as string) : event.channel,
    };
  }
  // One bot token serves one workspace: its team from auth.test keys every channel conversation, so
  // slash commands (whose team_id can differ in shared channels) and events always agree.
  const workspaceId = bot.teamId;
  if (mentioned) {
    return {
      ...base,
      workspaceId,
      isDirect: false,
      addressed: true,
      threadKey: inThread ? (event.thread_ts as string) : event.ts,
    };
  }
  if (!inThread) return undefined;
  return { ...base, workspaceId, isDirect: false, addressed: false, threadKey: event.thread_ts as string };
}

/** The `thread_ts` a reply to this message is posted under; none for top-level DM messages. */
export function replyThreadTs(message: Pick<IncomingMessage, 'channelId' | 'threadKey'>): string | undefined {
  return message.threadKey === message.channelId ? undefined : message.threadKey;
}
