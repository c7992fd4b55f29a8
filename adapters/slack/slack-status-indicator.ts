import type { WebClient } from '@slack/web-api';
import { PlatformError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { slackErrorCode, toPlatformError } from './slack-errors.js';

/** Refusals that mean the token or app cannot use `assistant.threads.setStatus` anywhere in the workspace. */
const workspaceWideRefusals = new Set([
  'missing_scope',
  'not_allowed_token_type',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'no_permission',
  'unknown_method',
  'method_deprecated',
  'feature_not_enabled',
  'team_access_not_granted',
]);

/** The status text Slack shows under the bot's name ("groqbot is thinking…"). */
const statusText: Record<'thinking' | 'typing', string> = { thinking: 'is thinking…', typing: 'is typing…' };

/**
 * Shows "is thinking…" with `assistant.threads.setStatus`, remembering where Slack refuses it:
 * a scope or token-type refusal switches it off for the workspace, any other refusal for that thread only.
 */
export class SlackStatusIndicator {
  private workspaceDisabled = false;
  private readonly disabledThreads = new Set<string>();

  constructor(private readonly options: { client: () => WebClient; logger: Logger }) {}

  /** Whether a status can be attempted in this thread at all. */
  available(channelId: string, threadTs: string | undefined): boolean {
    return threadTs !== undefined && !this.workspaceDisabled && !this.disabledThreads.has(`${channelId}:${threadTs}`);
  }

  /**
   * Sets the status. Throws a `PlatformError` when Slack cannot show it here; the refusal is remembered,
   * so later replies there get no indicator and the renderer posts its placeholder instead.
   */
  async show(channelId: string, threadTs: string | undefined, state: 'thinking' | 'typing'): Promise<void> {
    if (threadTs === undefined || !this.available(channelId, threadTs)) {
      throw new PlatformError('No Slack status indicator here', { code: 'platform_rejected' });
    }
    try {
      await this.options.client().assistant.threads.setStatus({ channel_id: channelId, thread_ts: threadTs, status: statusText[state] });
    } catch (error) {
      const slackError = slackErrorCode(error);
      if (slackError !== undefined && workspaceWideRefusals.has(slackError)) {
        this.workspaceDisabled = true;
        this.options.logger.info({ slackError }, 'assistant.threads.setStatus refused for the workspace; using placeholder messages');
      } else if (slackError !== undefined) {
        // Bounded memory: forgetting old threads only costs one more refused call there.
        if (this.disabledThreads.size >= 10_000) this.disabledThreads.clear();
        this.disabledThreads.add(`${channelId}:${threadTs}`);
        this.options.logger.debug({ slackError, channelId, threadTs }, 'assistant.threads.setStatus refused in this thread');
      }
      throw toPlatformError(error, 'assistant.threads.setStatus');
    }
  }
}
