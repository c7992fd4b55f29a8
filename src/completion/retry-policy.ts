import type { CompletionError } from './completion-error.js';
import { headerValue, type ResponseHeaders } from './rate-limit-headers.js';

/** Whether an HTTP error status may succeed on a retry, as the official SDK decides (`x-should-retry` first). */
export function shouldRetryStatus(status: number, headers: ResponseHeaders): boolean {
  const override = headerValue(headers, 'x-should-retry');
  if (override === 'true') return true;
  if (override === 'false') return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Exponential backoff with jitter: min(0.5·2^n, 8) s × (1 − 0.25·random), n = retries done so far. */
export function backoffDelayMs(retriesDone: number, random: () => number): number {
  const seconds = Math.min(0.5 * 2 ** retriesDone, 8);
  return Math.round(seconds * (1 - 0.25 * random()) * 1000);
}

/** Limits of the retry loop. */
export interface RetryLimits {
  maxRetries: number;
  /** A server asking for a longer wait fails at once (the caller can tell the user how long). */
  maxRetryWaitMs: number;
  random: () => number;
}

/** What to do after a failed attempt (only ever consulted before the response body started). */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/** Retry when the failure is retryable, retries are left, and the wait asked for is acceptable. */
export function decideRetry(failure: CompletionError, retriesDone: number, limits: RetryLimits): RetryDecision {
  if (!failure.retryable || failure.code === 'aborted' || retriesDone >= limits.maxRetries) return { retry: false };
  // The server's own wait (retry-after-ms, retry-after, or "try again in" on a 429) beats backoff.
  const delayMs = failure.retryAfterMs ?? backoffDelayMs(retriesDone, limits.random);
  if (delayMs > limits.maxRetryWaitMs) return { retry: false };
  return { retry: true, delayMs };
}
