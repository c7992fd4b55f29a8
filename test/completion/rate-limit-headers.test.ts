import { describe, expect, it } from 'vitest';
import {
  parseDurationMs,
  parseRateLimit,
  retryAfterFromHeaders,
  retryAfterFromMessage,
} from '../../src/completion/rate-limit-headers.js';
import { backoffDelayMs, decideRetry } from '../../src/completion/retry-policy.js';
import { CompletionError } from '../../src/completion/completion-error.js';

describe('Groq duration strings', () => {
  it.each<[string, number | undefined]>([
    ['2m59.56s', 179_560],
    ['7.66s', 7660],
    ['120ms', 120],
    ['1h2m3s', 3_723_000],
    ['19m12.5s', 1_152_500],
    ['0s', 0],
    ['', undefined],
    ['soon', undefined],
    ['12', undefined],
    ['5s later', undefined],
  ])('%s → %s', (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });
});

describe('rate-limit headers', () => {
  it('reads the fixture’s headers', () => {
    expect(
      parseRateLimit({
        'x-ratelimit-limit-requests': '1000',
        'x-ratelimit-remaining-requests': '987',
        'x-ratelimit-reset-requests': '19m12.5s',
        'x-ratelimit-limit-tokens': '8000',
        'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-reset-tokens': '6.78s',
      }),
    ).toEqual({ limitRequests: 1000, remainingRequests: 987, limitTokens: 8000, remainingTokens: 0, resetTokensMs: 6780 });
  });

  it('is undefined when no rate-limit header is present', () => {
    expect(parseRateLimit({ 'content-type': 'application/json' })).toBeUndefined();
  });

  it('retry-after-ms wins over retry-after; seconds may be fractional; dates count from now', () => {
    expect(retryAfterFromHeaders({ 'retry-after-ms': '250', 'retry-after': '7' })).toBe(250);
    expect(retryAfterFromHeaders({ 'retry-after': '1.5' })).toBe(1500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterFromHeaders({ 'retry-after': 'Thu, 01 Jan 2026 00:00:04 GMT' }, now)).toBe(4000);
    expect(retryAfterFromHeaders({ 'retry-after': 'whenever' })).toBeUndefined();
    expect(retryAfterFromHeaders({})).toBeUndefined();
  });

  it('finds the wait in a 429 message', () => {
    expect(retryAfterFromMessage('Limit 8000, Used 7122. Please try again in 6.78s. Need more tokens?')).toBe(6780);
    expect(retryAfterFromMessage('Please try again in 2m59.56s.')).toBe(179_560);
    expect(retryAfterFromMessage('Rate limit reached.')).toBeUndefined();
  });
});

describe('retry policy', () => {
  it('backs off 0.5, 1, 2, 4, 8, 8 s, less up to a quarter of jitter', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, () => 0))).toEqual([500, 1000, 2000, 4000, 8000, 8000]);
    expect(backoffDelayMs(0, () => 1)).toBe(375);
    expect(backoffDelayMs(0, () => 0.5)).toBe(438);
  });

  const limits = { maxRetries: 2, maxRetryWaitMs: 20_000, random: () => 0 };
  const failure = (retryable: boolean, retryAfterMs?: number): CompletionError =>
    new CompletionError({ code: 'rate_limited', message: 'x', retryable, retryAfterMs });

  it('uses the server’s wait, refuses one over the limit, and stops after maxRetries', () => {
    expect(decideRetry(failure(true, 7000), 0, limits)).toEqual({ retry: true, delayMs: 7000 });
    expect(decideRetry(failure(true, 25_000), 0, limits)).toEqual({ retry: false });
    expect(decideRetry(failure(true), 1, limits)).toEqual({ retry: true, delayMs: 1000 });
    expect(decideRetry(failure(true), 2, limits)).toEqual({ retry: false });
    expect(decideRetry(failure(false), 0, limits)).toEqual({ retry: false });
  });
});
