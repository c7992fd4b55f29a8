/** Tolerance for floating-point drift, so a bucket that is full "enough" grants. */
const epsilon = 1e-9;

/**
 * A token bucket: `capacity` calls at once, refilled at `refillPerSecond`; can be paused.
 * Once the burst is spent, a call waits `safetyMs` of refill beyond its token, because the
 * platform counts calls when they arrive: a call delayed on its way (network, a descheduled
 * process) must not make the next one look early.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;

  constructor(
    private capacity: number,
    private refillPerSecond: number,
    now: number,
    private safetyMs = 0,
  ) {
    this.tokens = capacity;
    this.refilledAt = now;
  }

  /** Adopts new limits (a scope may be re-declared with other numbers); keeps the tokens held. */
  reconfigure(capacity: number, refillPerSecond: number, now: number): void {
    this.refill(now);
    this.capacity = capacity;
    this.refillPerSecond = refillPerSecond;
    this.tokens = Math.min(this.tokens, capacity);
  }

  /** Changes the safety margin (the scheduler widens it to the calls' observed latency). */
  setSafetyMs(safetyMs: number): void {
    this.safetyMs = safetyMs;
  }

  /** Takes one token if one is there and the bucket is not paused. */
  tryTake(now: number): boolean {
    if (now < this.pausedUntil) return false;
    this.refill(now);
    if (this.tokens + epsilon < this.threshold()) return false;
    this.tokens = Math.max(0, this.tokens - 1);
    return true;
  }

  /** Gives back a token taken but not used. */
  giveBack(now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.capacity, this.tokens + 1);
  }

  /** Milliseconds until a token can be taken (0 when one can be taken now). */
  waitMs(now: number): number {
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.refill(now);
    return this.refillWaitMs(this.tokens);
  }

  /**
   * The platform says the budget is spent: nothing until `until`, then one call (the retry the
   * platform invited) and refilling from there.
   */
  pause(until: number): void {
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    this.tokens = 1;
    this.refilledAt = until;
  }

  /** True when the bucket is full and not paused, so forgetting it changes nothing. */
  isIdle(now: number): boolean {
    if (now < this.pausedUntil) return false;
    this.refill(now);
    return this.tokens + epsilon >= this.capacity;
  }

  private refill(now: number): void {
    if (now <= this.refilledAt) return;
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.refillPerSecond);
    this.refilledAt = now;
  }

  private refillWaitMs(tokens: number): number {
    const threshold = this.threshold();
    if (tokens + epsilon >= threshold) return 0;
    return ((threshold - tokens) / this.refillPerSecond) * 1000;
  }

  /** Tokens the bucket must hold to grant a call: one, plus the safety margin while not full. */
  private threshold(): number {
    return Math.min(this.capacity, 1 + (this.refillPerSecond * this.safetyMs) / 1000);
  }
}
