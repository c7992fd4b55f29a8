import { Routes, type REST } from 'discord.js';
import { PlatformError } from '../../src/errors.js';

/**
 * Sent with every message and edit: nothing in the text (model output, quoted users) may ping
 * anyone, and replies do not ping the person replied to either (see the README's Discord set-up).
 */
const noMentions = { parse: [], replied_user: false } as const;

/** Message flag of an answer only its recipient sees. */
export const ephemeralFlag = 1 << 6;

/** The part of a message object the adapter reads back. */
interface MessageResult {
  id: string;
  channel_id?: string;
}

function messageId(result: unknown): string {
  const id = (result as Partial<MessageResult> | null)?.id;
  if (typeof id !== 'string') throw new PlatformError('Discord answered without a message id', { code: 'platform_rejected' });
  return id;
}

/** Thin, typed wrappers over the REST calls the adapter makes (one HTTP call each). */
export class DiscordRest {
  constructor(private readonly rest: REST) {}

  /** Posts a channel message, as a reply when `replyTo` is set. Returns the new message id. */
  async postMessage(channelId: string, content: string, replyTo?: string): Promise<string> {
    const body: Record<string, unknown> = { content, allowed_mentions: noMentions };
    // fail_if_not_exists false: if the question was deleted meanwhile, answer anyway.
    if (replyTo !== undefined) body.message_reference = { message_id: replyTo, fail_if_not_exists: false };
    return messageId(await this.rest.post(Routes.channelMessages(channelId), { body }));
  }

  /** Replaces a channel message's text. */
  async editMessage(channelId: string, id: string, content: string): Promise<void> {
    await this.rest.patch(Routes.channelMessage(channelId, id), { body: { content, allowed_mentions: noMentions } });
  }

  /** Edits an interaction response (`@original`) or follow-up. Returns the message id. */
  async editWebhookMessage(applicationId: string, token: string, id: string, content: string): Promise<string> {
    const result = await this.rest.patch(Routes.webhookMessage(applicationId, token, id), {
      body: { content, allowed_mentions: noMentions },
      auth: false,
    });
    return messageId(result);
  }

  /** Posts an interaction follow-up. Returns the message id. */
  async postWebhookMessage(applicationId: string, token: string, content: string, flags = 0): Promise<string> {
    const result = await this.rest.post(Routes.webhook(applicationId, token), {
      body: { content, allowed_mentions: noMentions, flags },
      query: new URLSearchParams({ wait: 'true' }),
      auth: false,
    });
    return messageId(result);
  }

  /** Deletes an interaction response (`@original`) or follow-up. */
  async deleteWebhookMessage(applicationId: string, token: string, id: string): Promise<void> {
    await this.rest.delete(Routes.webhookMessage(applicationId, token, id), { auth: false });
  }

  /** Shows "is typing…" in a channel for about 10 s. */
  async sendTyping(channelId: string): Promise<void> {
    await this.rest.post(Routes.channelTyping(channelId));
  }

  /** Opens a public thread from a message; the thread's id equals the message id. */
  async startThread(channelId: string, fromMessageId: string, name: string): Promise<string> {
    const result = await this.rest.post(Routes.threads(channelId, fromMessageId), {
      body: { name, auto_archive_duration: 1440 },
    });
    return messageId(result);
  }
}
