import type { RateLimitInfo } from './types.js';

/** Response headers as undici hands them over (lower-case names). */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

const durationPart = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const durationShape = /^(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$/;

/** Parses Groq's duration strings (`2m59.56s`, `7.66s`, `120ms`, `1h2m`) into milliseconds; undefined when malformed. */
export function parseDurationMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '' || !durationShape.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(durationPart)) {
    const amount = Number(match[1]);
    switch (match[2]) {
      case 'h':
        total += amount * 3_600_000;
        break;
      case 'm':
        total += amount * 60_000;
        break;
      case 's':
        total += amount * 1000;
        break;
      default:
        total += amount;
    }
  }
  return Math.round(total);
}

/** The first value of a header, or undefined. */
export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function headerNumber(headers: ResponseHeaders, name: string): number | undefined {
  const value = headerValue(headers, name);
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** Reads Groq's `x-ratelimit-*` headers; undefined when none is present. */
export function parseRateLimit(headers: ResponseHeaders): RateLimitInfo | undefined {
  const read: RateLimitInfo = {
    limitTokens: headerNumber(headers, 'x-ratelimit-limit-tokens'),
    remainingTokens: headerNumber(headers, 'x-ratelimit-remaining-tokens'),
    limitRequests: headerNumber(headers, 'x-ratelimit-limit-requests'),
    remainingRequests: headerNumber(headers, 'x-ratelimit-remaining-requests'),
    resetTokensMs: parseDurationMs(headerValue(headers, 'x-ratelimit-reset-tokens')),
  };
  const info: RateLimitInfo = {};
  let found = false;
  for (const key of Object.keys(read) as Array<keyof RateLimitInfo>) {
    if (read[key] === undefined) continue;
    info[key] = read[key];
    found = true;
  }
  return found ? info : undefined;
}

/**
 * How long the response asks us to wait: `retry-after-ms`, else `retry-after` (seconds or an HTTP date).
 * Undefined when neither header is usable.
 */
export function retryAfterFromHeaders(headers: ResponseHeaders, now: number = Date.now()): number | undefined {
  const milliseconds = headerNumber(headers, 'retry-after-ms');
  if (milliseconds !== undefined && milliseconds >= 0) return milliseconds;
  const retryAfter = headerValue(headers, 'retry-after');
  if (retryAfter === undefined || retryAfter.trim() === '') return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const tryAgainIn = /try again in ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)/i;

/** Groq's 429 messages say "Please try again in 6.78s": the wait in milliseconds, if the message has one. */
export function retryAfterFromMessage(message: string): number | undefined {
  const match = tryAgainIn.exec(message);
  return match ? parseDurationMs(match[1]) : undefined;
}
