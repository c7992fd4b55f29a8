import type { PostedMessageRef } from '../../src/platform.js';
import type { IndicatorState, RateScope, ReplyTarget } from '../../src/reply/types.js';
import { toPlatformError } from './discord-errors.js';
import type { DiscordRest } from './discord-rest.js';
import { channelScope } from './reply-scopes.js';

/** Discord's limit on message content, in characters. */
export const discordMaxLength = 2_000;

/** Options of a reply streamed into a channel, thread or DM. */
export interface ChannelReplyOptions {
  rest: DiscordRest;
  channelId: string;
  /** The user's message the first part replies to; none for a thread opened from it. */
  replyTo?: string;
  editIntervalMs: number;
  editsPer5s: number;
  /** Starts "is typing…" in the channel; returns a function that stops it. */
  startTyping: () => () => void;
}

/**
 * One answer as channel messages: the first part replies to the question, each continuation
 * replies to the part before it, so the chain reads top to bottom.
 */
export class ChannelReplyTarget implements ReplyTarget {
  readonly platform = 'discord' as const;
  readonly maxLength = discordMaxLength;
  readonly minEditIntervalMs: number;
  private lastPartId: string | undefined;
  private stopTyping: (() => void) | undefined;

  constructor(private readonly options: ChannelReplyOptions) {
    this.minEditIntervalMs = options.editIntervalMs;
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
    } finally {
      // Text is visible (or the reply is failing): either way, typing is over.
      this.stopTyping?.();
      this.stopTyping = undefined;
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

  /** "groqbot is typing…" until the first part lands (Discord has no separate thinking state). */
  async indicate(_state: IndicatorState): Promise<void> {
    if (this.lastPartId !== undefined || this.stopTyping !== undefined) return;
    this.stopTyping = this.options.startTyping();
  }

  /** Posts and edits share the channel's budget. */
  scopeOf(_call: 'post' | 'edit'): RateScope {
    return channelScope(this.options.channelId, this.options.editsPer5s);
  }
}
