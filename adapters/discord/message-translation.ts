import { ChannelType, MessageReferenceType, type Message } from 'discord.js';
import type { IncomingMessage } from '../../src/conversation/port.js';
import { mentionsBot, readableText, type MentionNames } from './mention-text.js';

/** What to do with a gateway message. */
export type MessageTranslation =
  | { kind: 'ignore'; reason: 'own' | 'bot' | 'webhook' | 'system' | 'not-addressed' }
  /** `startThread`: DISCORD_AUTO_THREAD applies; the adapter opens a thread before handing it on. */
  | { kind: 'message'; incoming: IncomingMessage; startThread: boolean };

/** Settings the translation depends on. */
export interface TranslationContext {
  botId: string;
  autoThread: boolean;
  now: number;
}

function mentionNames(message: Message): MentionNames {
  return {
    user: (id) => message.mentions.members?.get(id)?.displayName ?? message.mentions.users.get(id)?.displayName,
    role: (id) => message.mentions.roles.get(id)?.name ?? message.guild?.roles.cache.get(id)?.name,
    channel: (id) => {
      const channel = message.client.channels.cache.get(id);
      return channel !== undefined && 'name' in channel && typeof channel.name === 'string' ? channel.name : undefined;
    },
  };
}

/** The id of the message this one replies to (forwards and other reference kinds are not replies). */
function repliedMessageId(message: Message): string | undefined {
  const reference = message.reference;
  if (!reference?.messageId) return undefined;
  if (reference.type !== undefined && reference.type !== MessageReferenceType.Default) return undefined;
  return reference.messageId;
}

/**
 * Turns a gateway message into an IncomingMessage, or says why it is not for the bot.
 * Guild channel messages need a mention of the bot or a reply reference; thread and reply
 * follow-ups without a mention go on with `addressed: false` and the engine decides.
 */
export function translateMessage(message: Message, context: TranslationContext): MessageTranslation {
  if (message.author.id === context.botId) return { kind: 'ignore', reason: 'own' };
  if (message.author.bot) return { kind: 'ignore', reason: 'bot' };
  if (message.webhookId) return { kind: 'ignore', reason: 'webhook' };
  if (message.system) return { kind: 'ignore', reason: 'system' };

  const mentioned = mentionsBot(message.content, context.botId);
  const replyToMessageId = repliedMessageId(message);
  const base = {
    platform: 'discord' as const,
    author: { id: message.author.id, name: message.member?.displayName ?? message.author.displayName },
    text: readableText(message.content, context.botId, mentionNames(message)),
    messageId: message.id,
    replyToMessageId,
    receivedAt: context.now,
  };
  const channel = message.channel;

  if (channel.type === ChannelType.DM || !message.inGuild()) {
    const incoming: IncomingMessage = {
      ...base,
      workspaceId: '',
      channelId: channel.id,
      threadKey: channel.id,
      isDirect: true,
      addressed: true,
    };
    return { kind: 'message', incoming, startThread: false };
  }

  if (channel.isThread()) {
    const incoming: IncomingMessage = {
      ...base,
      workspaceId: message.guildId,
      channelId: channel.id,
      parentChannelId: channel.parentId ?? undefined,
      threadKey: channel.id,
      isDirect: false,
      addressed: mentioned,
    };
    return { kind: 'message', incoming, startThread: false };
  }

  if (!mentioned && replyToMessageId === undefined) return { kind: 'ignore', reason: 'not-addressed' };
  const incoming: IncomingMessage = {
    ...base,
    workspaceId: message.guildId,
    channelId: channel.id,
    threadKey: message.id,
    isDirect: false,
    addressed: mentioned,
  };
  const canHoldThreads = channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement;
  // A reply continues its chain where it is; only a fresh mention opens a thread.
  const startThread = context.autoThread && mentioned && replyToMessageId === undefined && canHoldThreads;
  return { kind: 'message', incoming, startThread };
}
