import { escapeMarkdown } from 'discord.js';
import type { PostedMessageRef } from '../../src/platform.js';
import type { IndicatorState, RateScope, ReplyTarget } from '../../src/reply/types.js';
import { discordMaxLength } from './channel-reply-target.js';
import { toPlatformError } from './discord-errors.js';
import type { DiscordRest } from './discord-rest.js';
import { decodeWebhookHandle, encodeWebhookHandle } from './message-handle.js';
import { channelScope, webhookScope } from './reply-scopes.js';
import { shorten } from '../../src/text/shorten.js';

/** Interaction tokens live 15 minutes; past this age, new parts go out as channel messages. */
const defaultInteractionTokenWindowMs = 14 * 60_000;
/** Longest question quoted above an /ask answer. */
const maxQuotedQuestion = 200;

/** Options of an /ask answer streamed through the interaction's webhook. */
export interface InteractionReplyOptions {
  rest: DiscordRest;
  applicationId: string;
  interactionId: string;
  token: string;
  channelId: string;
  /** The question, quoted above the answer (Discord's "used /ask" header does not show it). */
  question: string;
  /** Date.now() when the interaction arrived: the token's age counts from here. */
  receivedAt: number;
  editIntervalMs: number;
  editsPer5s: number;
  tokenWindowMs?: number;
  now?: () => number;
}

/** The quoted question line shown above the answer's first part. */
export function questionHeader(question: string): string {
  const oneLine = question.replace(/\s+/g, ' ').trim();
  const short = shorten(oneLine, maxQuotedQuestion);
  return `> ${escapeMarkdown(short)}\n`;
}

/**
 * An /ask answer: the first part edits the deferred response, continuations are follow-ups,
 * and once the token is about to expire, new parts become ordinary channel messages.
 */
export class InteractionReplyTarget implements ReplyTarget {
  readonly platform = 'discord' as const;
  readonly maxLength: number;
  readonly minEditIntervalMs: number;
  private readonly header: string;
  /** Handles of the first part (with the header) and of follow-ups, encoded once instead of per call. */
  private readonly firstHandle: string;
  private readonly followUpHandle: string;
  private readonly webhookScope: RateScope;
  private readonly channelScope: RateScope;
  private readonly tokenWindowMs: number;
  private readonly now: () => number;
  private lastPartId: string | undefined;

  constructor(private readonly options: InteractionReplyOptions) {
    this.header = questionHeader(options.question);
    const { applicationId, token } = options;
    this.firstHandle = encodeWebhookHandle({ applicationId, token, header: this.header });
    this.followUpHandle = encodeWebhookHandle({ applicationId, token });
    this.webhookScope = webhookScope(options.interactionId, options.editsPer5s);
    this.channelScope = channelScope(options.channelId, options.editsPer5s);
    // Every part gets the same budget: simpler than a first-part exception, and only a few characters short.
    this.maxLength = discordMaxLength - this.header.length;
    this.minEditIntervalMs = options.editIntervalMs;
    this.tokenWindowMs = options.tokenWindowMs ?? defaultInteractionTokenWindowMs;
    this.now = options.now ?? Date.now;
  }

  private get tokenUsable(): boolean {
    return this.now() - this.options.receivedAt < this.tokenWindowMs;
  }

  /** First part: the deferred response; then follow-ups; late parts: channel messages. */
  async post(text: string): Promise<PostedMessageRef> {
    const { rest, applicationId, token, channelId } = this.options;
    const first = this.lastPartId === undefined;
    try {
      if (this.tokenUsable) {
        const id = first
          ? await rest.editWebhookMessage(applicationId, token, '@original', this.header + text)
          : await rest.postWebhookMessage(applicationId, token, text);
        this.lastPartId = id;
        return { channelId, messageId: id, handle: first ? this.firstHandle : this.followUpHandle };
      }
      const id = await rest.postMessage(channelId, first ? this.header + text : text, this.lastPartId);
      this.lastPartId = id;
      return { channelId, messageId: id };
    } catch (error) {
      throw toPlatformError(error, first ? 'edit interaction response' : 'post follow-up');
    }
  }

  /** Edits a part through the webhook it came from, or as a channel message. */
  async edit(ref: PostedMessageRef, text: string): Promise<void> {
    const { rest, applicationId, token } = this.options;
    try {
      // This target's own handles are known: no JSON parsing on every edit of a streaming answer.
      if (ref.handle === this.firstHandle) {
        await rest.editWebhookMessage(applicationId, token, ref.messageId, this.header + text);
        return;
      }
      if (ref.handle === this.followUpHandle) {
        await rest.editWebhookMessage(applicationId, token, ref.messageId, text);
        return;
      }
      const handle = decodeWebhookHandle(ref.handle);
      if (handle === undefined) {
        await rest.editMessage(ref.channelId, ref.messageId, text);
        return;
      }
      await rest.editWebhookMessage(handle.applicationId, handle.token, ref.messageId, (handle.header ?? '') + text);
    } catch (error) {
      throw toPlatformError(error, 'edit interaction message');
    }
  }

  /** Nothing to do: a deferred response already shows "groqbot is thinking…". */
  async indicate(_state: IndicatorState): Promise<void> {}

  /** Webhook calls have their own budget; once parts go to the channel, the channel's. */
  scopeOf(_call: 'post' | 'edit'): RateScope {
    return this.tokenUsable ? this.webhookScope : this.channelScope;
  }
}
