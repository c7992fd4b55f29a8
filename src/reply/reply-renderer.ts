import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { RateScheduler } from './rate-scheduler.js';
import { ReplySession } from './reply-session.js';
import type { ReplyHandle, ReplyObserver, ReplyTarget } from './types.js';

/** Options of the reply renderer. */
export interface ReplyRendererOptions {
  logger: Logger;
  metrics?: Metrics;
  /** Consecutive failure time (not counting waits for budget) after which a final text is given up. */
  finalRetryWindowMs?: number;
  /** Monotonic clock in milliseconds; `performance.now` by default. */
  now?: () => number;
  /**
   * Refill time each call waits beyond its token once a scope's burst is spent (50 ms by
   * default), so that calls arriving late at the platform do not make the next one draw a 429.
   */
  budgetSafetyMs?: number;
}

/** A "too long" answer lowers the limit to this share of the text that failed. */
const tooLongShare = 0.8;
/** Lower than this, a limit is not worth splitting for: the failure is something else. */
const minimumLimit = 64;

/**
 * Renders streamed replies onto platform targets. One per process, shared by every reply, because
 * it owns the rate budgets (token buckets keyed by `RateScope.key`) that all replies draw on.
 */
export class ReplyRenderer {
  private readonly scheduler: RateScheduler;
  /** Limits learnt from "too long" answers, per target object. */
  private readonly learntLimits = new WeakMap<ReplyTarget, number>();
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly finalRetryWindowMs: number;

  constructor(private readonly options: ReplyRendererOptions) {
    this.now = options.now ?? (() => performance.now());
    this.scheduler = new RateScheduler(this.now, options.budgetSafetyMs ?? 50);
    this.logger = options.logger.child({ component: 'reply-renderer' });
    this.finalRetryWindowMs = options.finalRetryWindowMs ?? 120_000;
  }

  /** Starts a reply on `target`: the sign of life shows within a few milliseconds. */
  start(target: ReplyTarget, observer?: ReplyObserver): ReplyHandle {
    const session = new ReplySession({
      target,
      observer,
      scheduler: this.scheduler,
      logger: this.logger,
      metrics: this.options.metrics,
      now: this.now,
      finalRetryWindowMs: this.finalRetryWindowMs,
      limit: () => this.limitOf(target),
      lowerLimit: (failedLength) => this.lowerLimit(target, failedLength),
    });
    session.begin();
    return session;
  }

  /** The message length currently used for `target`: its declared limit, or a lower one learnt. */
  limitOf(target: ReplyTarget): number {
    return this.learntLimits.get(target) ?? target.maxLength;
  }

  private lowerLimit(target: ReplyTarget, failedLength: number): boolean {
    const current = this.limitOf(target);
    const lower = Math.max(minimumLimit, Math.floor(Math.min(current, failedLength) * tooLongShare));
    if (lower >= current) return false;
    this.learntLimits.set(target, lower);
    return true;
  }
}
