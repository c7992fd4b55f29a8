import type { WebClient } from '@slack/web-api';
import type { AskAnswerPlace, CommandResponder, IncomingCommand } from '../../src/conversation/port.js';
import type { Logger } from '../../src/logger.js';
import { toPlatformError } from './slack-errors.js';
import { slackMessageBody } from './slack-message-body.js';
import type { SlackReplyTarget } from './slack-reply-target.js';
import { shorten } from '../../src/text/shorten.js';

/** What a command responder needs from the adapter. */
export interface SlackResponderOptions {
  command: IncomingCommand;
  responseUrl: string;
  /** Client for the ephemeral fallback (bounded retries). */
  apiClient: WebClient;
  /** Client for the root message of `/ask` (no retries, like every message route). */
  messageClient: WebClient;
  timeoutMs: number;
  maxMessageChars: number;
  replyTarget(channelId: string, threadTs: string): SlackReplyTarget;
  logger: Logger;
}

/** Answers a slash command: ephemeral texts through `response_url`, and the root message `/ask` streams under. */
export function createSlackResponder(options: SlackResponderOptions): CommandResponder {
  const { command, logger } = options;
  return {
    async respond(text: string): Promise<void> {
      const body = slackMessageBody(text);
      try {
        const response = await fetch(options.responseUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, ...body }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        await response.body?.cancel();
        if (response.ok) return;
        logger.warn({ status: response.status }, 'response_url refused the answer; trying chat.postEphemeral');
      } catch (error) {
        logger.warn({ err: error }, 'response_url failed; trying chat.postEphemeral');
      }
      try {
        await options.apiClient.chat.postEphemeral({ channel: command.channelId, user: command.author.id, ...body });
      } catch (error) {
        throw toPlatformError(error, 'chat.postEphemeral');
      }
    },

    async openAnswer(question: string): Promise<AskAnswerPlace> {
      // The asker's name in bold, not a <@U…> mention: they asked, they need no notification about it.
      const echoed = shorten(question, Math.max(200, options.maxMessageChars - 200));
      const root = slackMessageBody(`**${command.author.name}** asked: ${echoed}`);
      let ts: string;
      try {
        const result = await options.messageClient.chat.postMessage({
          channel: command.channelId,
          ...root,
          unfurl_links: false,
          unfurl_media: false,
        });
        if (typeof result.ts !== 'string') throw new Error('chat.postMessage returned no ts');
        ts = result.ts;
      } catch (error) {
        throw toPlatformError(error, 'chat.postMessage');
      }
      return { channelId: command.channelId, threadKey: ts, questionMessageId: ts, target: options.replyTarget(command.channelId, ts) };
    },
  };
}
