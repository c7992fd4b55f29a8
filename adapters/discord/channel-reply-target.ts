import type { PostedMessageRef } from '../../src/platform.js';
import type { IndicatorState, RateScope, ReplyTarget } from '../../src/reply/types.js';
import { toPlatformError } from './discord-errors.js';
import type { DiscordRest } from './discord-rest.js';
import { channelScope } from './reply-scopes.js';

/** Discord's limit on message content, in characters. */
export const discordMaxLength = 2_000;

/**
 * Discord shows "is typing…" for 10 s after a call and the renderer refreshes its indicator every
 * 8 s; a call sooner than this after the last one (a thinking → typing switch) shows nothing new.
 */
const typingRepeatMs = 2_000;

/** Options of a reply streamed into a channel, thread or DM. */
export interface ChannelReplyOptions {
  rest: DiscordRest;
  channelId: string;
  /** The user's message the first part replies to; none for a thread opened from it. */
  replyTo?: string;
  editIntervalMs: number;
  editsPer5s: number;
}

/**
 * One answer as channel messages: the first part replies to the question, each continuation
 * replies to the part before it, so the chain reads top to bottom.
 */
export class ChannelReplyTarget implements ReplyTarget {
  readonly platform = 'discord' as const;
  readonly maxLength = discordMaxLength;
  readonly minEditIntervalMs: number;
  private readonly scope: RateScope;
  private lastPartId: string | undefined;
  private lastTypingAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: ChannelReplyOptions) {
    this.minEditIntervalMs = options.editIntervalMs;
    this.scope = channelScope(options.channelId, options.editsPer5s);
  }

  /** Posts the first part or a continuation. */
  async post(text: string): Promise<PostedMessageRef> {
    const replyTo = this.lastPartId ?? this.options.replyTo;
    try {
      const id = await this.options.rest.postMessage(this.options.channelId, text, replyTo);
      this.lastPartId = id;
      return { channelId: this.options.channelId, messageId: id };
    } catch (error) {
      throw toPlatformError(error, 'post message');
    }
  }

  /** Replaces the whole text of a part. */
  async edit(ref: PostedMessageRef, text: string): Promise<void> {
    try {
      await this.options.rest.editMessage(ref.channelId, ref.messageId, text);
    } catch (error) {
      throw toPlatformError(error, 'edit message');
    }
  }

  /**
   * One "groqbot is typing…" call (Discord has no separate thinking state); the renderer calls
   * again to keep it up, and Discord clears it when the first part lands.
   */
  async indicate(_state: IndicatorState): Promise<void> {
    const now = Date.now();
    if (this.lastPartId !== undefined || now - this.lastTypingAt < typingRepeatMs) return;
    this.lastTypingAt = now;
    try {
      await this.options.rest.sendTyping(this.options.channelId);
    } catch (error) {
      throw toPlatformError(error, 'send typing');
    }
  }

  /** Posts and edits share the channel's budget. */
  scopeOf(_call: 'post' | 'edit'): RateScope {
    return this.scope;
  }
}
