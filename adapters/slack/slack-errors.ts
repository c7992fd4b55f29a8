import { webApi } from '@slack/bolt';
import { PlatformError } from '../../src/errors.js';

/** Slack error strings that mean the service is struggling, not that the request was wrong. */
const unavailableErrors = new Set(['fatal_error', 'internal_error', 'service_unavailable', 'request_timeout']);

/** The Slack `error` string of a failed Web API call (e.g. `channel_not_found`), if it has one. */
export function slackErrorCode(error: unknown): string | undefined {
  if (error instanceof Error && (error as { code?: unknown }).code === webApi.ErrorCode.PlatformError) {
    const data = (error as { data?: { error?: unknown } }).data;
    return typeof data?.error === 'string' ? data.error : undefined;
  }
  return undefined;
}

/**
 * Translates a `@slack/web-api` failure into the `PlatformError` the renderer understands:
 * a 429 (or `ratelimited`) carries its wait, `msg_too_long` asks for a split, network errors,
 * timeouts and 5xx are `platform_unavailable`, anything else a refusal.
 */
export function toPlatformError(error: unknown, method: string, markdownLength = 0): PlatformError {
  if (error instanceof PlatformError) return error;
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  if (code === webApi.ErrorCode.RateLimitedError) {
    const retryAfter = (error as { retryAfter?: unknown }).retryAfter;
    const retryAfterMs = typeof retryAfter === 'number' ? retryAfter * 1000 : 1000;
    return new PlatformError(`Slack rate-limited ${method}`, { code: 'platform_rate_limited', cause: error, retryAfterMs });
  }
  const slackError = slackErrorCode(error);
  if (slackError !== undefined) {
    if (slackError === 'msg_too_long' || slackError === 'msg_blocks_too_long') {
      return new PlatformError(`Slack refused ${method}: ${slackError}`, { code: 'message_too_long', cause: error });
    }
    // A markdown block beyond Slack's size gives invalid_blocks; a short one failing that way is a real refusal.
    if (slackError === 'invalid_blocks' && markdownLength > 3_000) {
      return new PlatformError(`Slack refused ${method}: ${slackError}`, { code: 'message_too_long', cause: error });
    }
    if (slackError === 'ratelimited') {
      return new PlatformError(`Slack rate-limited ${method}`, { code: 'platform_rate_limited', cause: error, retryAfterMs: 1000 });
    }
    if (unavailableErrors.has(slackError)) {
      return new PlatformError(`Slack failed ${method}: ${slackError}`, { code: 'platform_unavailable', cause: error });
    }
    return new PlatformError(`Slack refused ${method}: ${slackError}`, { code: 'platform_rejected', cause: error });
  }
  if (code === webApi.ErrorCode.HTTPError) {
    const status = (error as { statusCode?: unknown }).statusCode;
    const unavailable = typeof status !== 'number' || status >= 500 || status === 408;
    return new PlatformError(`Slack answered HTTP ${String(status)} to ${method}`, {
      code: unavailable ? 'platform_unavailable' : 'platform_rejected',
      cause: error,
    });
  }
  return new PlatformError(`Slack ${method} failed: ${error instanceof Error ? error.message : String(error)}`, {
    code: 'platform_unavailable',
    cause: error,
  });
}
