import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import { PlatformError } from '../../src/errors.js';

/** Discord's JSON error code for an invalid form body (a field too long, among others). */
const invalidFormBody = 50035;

/** Hides interaction and webhook tokens that discord.js puts in error URLs and messages. */
export function withoutTokens(text: string): string {
  return text
    .replace(/\/webhooks\/(\d+)\/[^/\s?]+/g, '/webhooks/$1/:token')
    .replace(/\/interactions\/(\d+)\/[^/\s?]+/g, '/interactions/$1/:token');
}

/** A log-safe copy of a discord.js error: name, status and code, no URL or request body. */
function safeCause(error: unknown, details: Record<string, unknown> = {}): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const cause = new Error(withoutTokens(original.message));
  cause.name = withoutTokens(original.name);
  return Object.assign(cause, details);
}

function isContentTooLong(error: DiscordAPIError): boolean {
  if (error.code !== invalidFormBody) return false;
  const raw = error.rawError as { errors?: Record<string, unknown> };
  // Without field details, 50035 on a message call is almost always the content length.
  return raw.errors === undefined || 'content' in raw.errors;
}

/**
 * Translates whatever a discord.js REST call threw into a PlatformError the renderer understands.
 * `action` names the call for the message, e.g. "post message".
 */
export function toPlatformError(error: unknown, action: string): PlatformError {
  if (error instanceof PlatformError) return error;
  if (error instanceof RateLimitError) {
    const waitMs = error.retryAfter > 0 ? error.retryAfter : error.timeToReset;
    return new PlatformError(`Discord rate limit on ${action}`, {
      code: 'platform_rate_limited',
      retryAfterMs: Math.max(0, Math.ceil(waitMs)),
      cause: safeCause(error, { route: error.route, global: error.global }),
    });
  }
  if (error instanceof DiscordAPIError) {
    const cause = safeCause(error, { status: error.status, code: error.code });
    if (error.status === 429) {
      const retryAfter = Number((error.rawError as { retry_after?: unknown }).retry_after ?? 1);
      return new PlatformError(`Discord rate limit on ${action}`, {
        code: 'platform_rate_limited',
        retryAfterMs: Math.ceil((Number.isFinite(retryAfter) ? retryAfter : 1) * 1000),
        cause,
      });
    }
    if (isContentTooLong(error)) {
      return new PlatformError(`Discord refused ${action}: content too long`, { code: 'message_too_long', cause });
    }
    if (error.status >= 500) {
      return new PlatformError(`Discord failed on ${action} (${error.status})`, { code: 'platform_unavailable', cause });
    }
    return new PlatformError(`Discord refused ${action}: ${error.status} ${error.code} ${withoutTokens(error.message)}`, {
      code: 'platform_rejected',
      cause,
    });
  }
  if (error instanceof HTTPError) {
    return new PlatformError(`Discord failed on ${action} (${error.status})`, {
      code: error.status >= 500 ? 'platform_unavailable' : 'platform_rejected',
      cause: safeCause(error, { status: error.status }),
    });
  }
  // Timeouts (AbortError), refused connections and DNS failures: the platform is unreachable.
  return new PlatformError(`Discord unreachable on ${action}`, { code: 'platform_unavailable', cause: safeCause(error) });
}
