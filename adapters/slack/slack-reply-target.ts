import type { WebClient } from '@slack/web-api';
import type { PostedMessageRef } from '../../src/platform.js';
import type { IndicatorState, RateScope, ReplyTarget } from '../../src/reply/types.js';
import { toPlatformError } from './slack-errors.js';
import { markdownLengthOf, slackMessageBody } from './slack-message-body.js';
import type { SlackStatusIndicator } from './slack-status-indicator.js';

/** What a Slack reply target needs: where to post, and the workspace's shared budgets. */
export interface SlackReplyTargetOptions {
  /** The client for message routes: a timeout, no retries of its own (the renderer decides). */
  client: WebClient;
  channelId: string;
  /** The thread the reply goes in; none for a top-level DM answer. */
  threadTs: string | undefined;
  teamId: string;
  maxLength: number;
  minEditIntervalMs: number;
  editsPerMinute: number;
  indicator: SlackStatusIndicator;
}

/** One reply on Slack: one Web API call per post or edit, failures translated into `PlatformError`. */
export class SlackReplyTarget implements ReplyTarget {
  readonly platform = 'slack' as const;
  readonly maxLength: number;
  readonly minEditIntervalMs: number;
  private readonly editScope: RateScope;
  private readonly postScope: RateScope;
  /**
   * "is thinking…" under the bot's name, present only where Slack may allow it (a thread, and no
   * refusal remembered there): without it the renderer posts its placeholder message instead.
   */
  readonly indicate?: (state: IndicatorState) => Promise<void>;

  constructor(private readonly options: SlackReplyTargetOptions) {
    const { indicator, channelId, threadTs } = options;
    if (indicator.available(channelId, threadTs)) {
      this.indicate = (state) => indicator.show(channelId, threadTs, state);
    }
    this.maxLength = options.maxLength;
    this.minEditIntervalMs = options.minEditIntervalMs;
    // chat.update is Tier 3 per workspace and method; chat.postMessage about one per second per channel.
    this.editScope = { key: `slack:update:${options.teamId}`, capacity: 20, refillPerSecond: options.editsPerMinute / 60 };
    this.postScope = { key: `slack:post:${options.channelId}`, capacity: 3, refillPerSecond: 1 };
  }

  /** Posts a new message in the reply's thread (or top level of a DM). */
  async post(text: string): Promise<PostedMessageRef> {
    const body = slackMessageBody(text);
    try {
      const result = await this.options.client.chat.postMessage({
        channel: this.options.channelId,
        ...body,
        ...(this.options.threadTs === undefined ? {} : { thread_ts: this.options.threadTs }),
        unfurl_links: false,
        unfurl_media: false,
      });
      if (typeof result.ts !== 'string') throw new Error('chat.postMessage returned no ts');
      return { channelId: typeof result.channel === 'string' ? result.channel : this.options.channelId, messageId: result.ts };
    } catch (error) {
      throw toPlatformError(error, 'chat.postMessage', markdownLengthOf(body));
    }
  }

  /** Replaces a posted message's whole text. */
  async edit(ref: PostedMessageRef, text: string): Promise<void> {
    await updateSlackMessage(this.options.client, ref, text);
  }


  /** The shared budget of a call: edits per workspace, posts per channel. */
  scopeOf(call: 'post' | 'edit'): RateScope {
    return call === 'edit' ? this.editScope : this.postScope;
  }
}

/** `chat.update` with a whole answer text, neutralised; shared by replies and crash recovery. */
export async function updateSlackMessage(client: WebClient, ref: PostedMessageRef, text: string): Promise<void> {
  const body = slackMessageBody(text);
  try {
    // Without blocks Slack would keep the old markdown block: always send them (an empty list clears them).
    await client.chat.update({ channel: ref.channelId, ts: ref.messageId, text: body.text, blocks: body.blocks ?? [] });
  } catch (error) {
    throw toPlatformError(error, 'chat.update', markdownLengthOf(body));
  }
}
