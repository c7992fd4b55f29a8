/** What the limiter decided for one call, with the headers Discord would send. */
export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** Seconds to wait, for a refused call. */
  retryAfterSeconds: number;
}

/**
 * Per-channel budget for message creates and edits: `limit` calls per `windowMs`, as a token
 * bucket (Discord does not publish its algorithm; a bucket that refills continuously is the
 * most permissive reading of "5 per 5 s", so a client that respects it never sees a 429).
 */
export class ChannelRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Takes one token for `channelId`, or refuses with Discord's 429 headers. */
  take(channelId: string, now: number = Date.now()): RateDecision {
    const refillPerMs = this.limit / this.windowMs;
    const bucket = this.buckets.get(channelId) ?? { tokens: this.limit, updatedAt: now };
    bucket.tokens = Math.min(this.limit, bucket.tokens + (now - bucket.updatedAt) * refillPerMs);
    bucket.updatedAt = now;
    this.buckets.set(channelId, bucket);
    // A small tolerance: the client's clock and ours run a few microseconds apart.
    const allowed = bucket.tokens >= 0.98;
    if (allowed) bucket.tokens = Math.max(0, bucket.tokens - 1);
    const remaining = Math.floor(bucket.tokens);
    const untilNextToken = Math.max(0, (1 - bucket.tokens) / refillPerMs);
    const untilFull = (this.limit - bucket.tokens) / refillPerMs;
    // discord.js only looks at the reset when nothing remains: then it must mean "next token".
    const resetAfterMs = remaining > 0 ? untilFull : untilNextToken;
    const resetAfter = (resetAfterMs / 1000).toFixed(3);
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(this.limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': ((now + resetAfterMs) / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter,
      'x-ratelimit-bucket': `fake-${channelId}`,
    };
    if (allowed) return { allowed, headers, retryAfterSeconds: 0 };
    return {
      allowed,
      headers: { ...headers, 'retry-after': resetAfter, 'x-ratelimit-scope': 'user' },
      retryAfterSeconds: Number(resetAfter),
    };
  }
}
