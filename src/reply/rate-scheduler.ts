import type { RateScope } from './types.js';
import { TokenBucket } from './token-bucket.js';

/** How much a call matters: final texts go before interim updates. */
export type CallUrgency = 'final' | 'interim';

/** A message waiting for a token in a scope. */
export interface RateWaiter {
  /** Read at every grant, so a waiter can become final while it waits. */
  readonly urgency: CallUrgency;
  /** When the waiter's reply was last granted a call; the least recently served goes first. */
  readonly lastServedAt: number;
  /** Clock time before which the waiter may not be granted (its message's edit interval, a backoff). */
  readonly readyAt: number;
  /** Hands over a token; returns false to give it back when nothing needs sending any more. */
  grant(): boolean;
}

interface ScopeState {
  readonly bucket: TokenBucket;
  /** Waiters with the order they arrived in, to break ties. */
  readonly waiters: Map<RateWaiter, number>;
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
  timerHoldsProcess: boolean;
  draining: boolean;
  /** Durations of the scope's latest calls, newest last (see observeLatency). */
  readonly latencies: number[];
}

/** Calls remembered per scope to size the safety margin. */
const latencyWindow = 16;
/** The margin never grows past this, whatever one slow call took. */
const maximumSafetyMs = 1_000;

/** Scopes are forgotten when idle; the sweep runs after this many requests. */
const sweepEvery = 512;

/**
 * Grants platform calls from shared token buckets, one per scope key: among the waiters that are
 * ready, final texts first, then the reply served least recently, so no reply starves while
 * another takes every token. Waiters queue before they are ready, so a final text that becomes
 * ready is never overtaken by an interim one, and they pull their newest text when granted, so
 * nothing stale is ever queued. One timer per scope, none per message.
 */
export class RateScheduler {
  private readonly scopes = new Map<string, ScopeState>();
  private sequence = 0;
  private requestsSinceSweep = 0;

  /** `safetyMs`: refill time a call waits beyond its token once a burst is spent (see TokenBucket). */
  constructor(
    private readonly now: () => number,
    private readonly safetyMs = 0,
  ) {}

  /** Queues `waiter` for a token of `scope` (again, after its urgency changed, is fine). */
  request(scope: RateScope, waiter: RateWaiter): void {
    const state = this.stateOf(scope);
    if (!state.waiters.has(waiter)) state.waiters.set(waiter, (this.sequence += 1));
    this.drain(state);
    this.requestsSinceSweep += 1;
    if (this.requestsSinceSweep >= sweepEvery) this.sweep();
  }

  /** Removes a waiter that no longer needs a call. */
  withdraw(scopeKey: string, waiter: RateWaiter): void {
    const state = this.scopes.get(scopeKey);
    if (state === undefined) return;
    state.waiters.delete(waiter);
    if (state.waiters.size === 0) this.clearTimer(state);
  }

  /** The platform answered 429: nothing more in this scope until `retryAfterMs` has passed. */
  pause(scope: RateScope, retryAfterMs: number): void {
    const state = this.stateOf(scope);
    state.bucket.pause(this.now() + retryAfterMs);
    this.clearTimer(state);
    this.drain(state);
  }

  /**
   * A call in the scope took `durationMs` from grant to answer. The platform counted it somewhere in
   * that span, so our bucket may run ahead of the platform's by as much: the safety margin grows to
   * the slowest recent call (bounded), which keeps a loaded process or a slow network from drawing 429s.
   */
  observeLatency(scopeKey: string, durationMs: number): void {
    const state = this.scopes.get(scopeKey);
    if (state === undefined) return;
    state.latencies.push(durationMs);
    if (state.latencies.length > latencyWindow) state.latencies.shift();
    state.bucket.setSafetyMs(Math.max(this.safetyMs, Math.min(maximumSafetyMs, Math.max(...state.latencies))));
  }

  private stateOf(scope: RateScope): ScopeState {
    const now = this.now();
    let state = this.scopes.get(scope.key);
    if (state === undefined) {
      state = {
        bucket: new TokenBucket(scope.capacity, scope.refillPerSecond, now, this.safetyMs),
        waiters: new Map(),
        timer: undefined,
        timerAt: 0,
        timerHoldsProcess: false,
        draining: false,
        latencies: [],
      };
      this.scopes.set(scope.key, state);
    } else {
      state.bucket.reconfigure(scope.capacity, scope.refillPerSecond, now);
    }
    return state;
  }

  private drain(state: ScopeState): void {
    // A grant may queue another message of the same scope (a continuation after a split);
    // the loop below picks it up, so re-entering would only double the work.
    if (state.draining) return;
    state.draining = true;
    try {
      while (state.waiters.size > 0) {
        const now = this.now();
        const waiter = this.pick(state, now);
        if (waiter === undefined || !state.bucket.tryTake(now)) break;
        state.waiters.delete(waiter);
        if (!waiter.grant()) state.bucket.giveBack(now);
      }
    } finally {
      state.draining = false;
    }
    if (state.waiters.size > 0) this.armTimer(state);
    else this.clearTimer(state);
  }

  /** The ready waiter to serve next, if any is ready. */
  private pick(state: ScopeState, now: number): RateWaiter | undefined {
    let best: RateWaiter | undefined;
    let bestOrder = 0;
    for (const [waiter, order] of state.waiters) {
      if (waiter.readyAt > now) continue;
      if (best === undefined || this.before(waiter, order, best, bestOrder)) {
        best = waiter;
        bestOrder = order;
      }
    }
    return best;
  }

  private before(waiter: RateWaiter, order: number, other: RateWaiter, otherOrder: number): boolean {
    if (waiter.urgency !== other.urgency) return waiter.urgency === 'final';
    if (waiter.lastServedAt !== other.lastServedAt) return waiter.lastServedAt < other.lastServedAt;
    return order < otherOrder;
  }

  private armTimer(state: ScopeState): void {
    const now = this.now();
    let firstReady = Number.POSITIVE_INFINITY;
    let holdsProcess = false;
    for (const waiter of state.waiters.keys()) {
      firstReady = Math.min(firstReady, waiter.readyAt);
      if (waiter.urgency === 'final') holdsProcess = true;
    }
    // Timers may fire a little early against a sub-millisecond clock; one more millisecond
    // then is cheaper than a busy retry.
    const delay = Math.max(1, Math.ceil(Math.max(state.bucket.waitMs(now), firstReady - now)));
    const at = now + delay;
    if (state.timer !== undefined && state.timerAt <= at && state.timerHoldsProcess === holdsProcess) return;
    this.clearTimer(state);
    state.timerAt = at;
    state.timerHoldsProcess = holdsProcess;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.drain(state);
    }, delay);
    // Interim updates must not keep a stopping process alive; final texts must.
    if (!holdsProcess) state.timer.unref();
  }

  private clearTimer(state: ScopeState): void {
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timer = undefined;
  }

  private sweep(): void {
    this.requestsSinceSweep = 0;
    const now = this.now();
    for (const [key, state] of this.scopes) {
      if (state.waiters.size === 0 && !state.draining && state.bucket.isIdle(now)) this.scopes.delete(key);
    }
  }
}
