import { webApi } from '@slack/bolt';
import type { WebClient, WebClientOptions } from '@slack/web-api';
import type { Logger } from '../../src/logger.js';
import { toSlackLogger } from './slack-logger.js';

/** Limits of every Web API call: the library's defaults are no timeout and retries for about 30 minutes. */
export interface SlackCallLimits {
  /** Milliseconds before one HTTP request is abandoned. */
  timeoutMs: number;
  /** Retries of network errors and 5xx (never of Slack refusals or 429s). */
  retries: number;
}

/** Default limits: a reply never waits long on Slack, and the renderer decides what to retry. */
export const defaultCallLimits: SlackCallLimits = { timeoutMs: 10_000, retries: 2 };

/** WebClient options with a timeout, bounded retries and 429s handed back to the caller. */
export function slackClientOptions(apiUrl: string, logger: Logger, limits: SlackCallLimits): WebClientOptions {
  return {
    slackApiUrl: apiUrl,
    logger: toSlackLogger(logger),
    timeout: limits.timeoutMs,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: limits.retries, factor: 2, minTimeout: 250, maxTimeout: 2_000, randomize: true },
  };
}

/** A WebClient for the bot token with the given limits. */
export function createSlackClient(token: string, apiUrl: string, logger: Logger, limits: SlackCallLimits): WebClient {
  return new webApi.WebClient(token, slackClientOptions(apiUrl, logger, limits));
}
