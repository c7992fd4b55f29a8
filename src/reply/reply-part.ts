import type { PostedMessageRef } from '../platform.js';
import type { CallUrgency, RateWaiter } from './rate-scheduler.js';

/** The session a part belongs to, as the part needs it to answer the scheduler. */
export interface PartOwner {
  readonly lastServedAt: number;
  readonly ended: boolean;
  /** Minimum time between two calls on one message. */
  readonly minEditIntervalMs: number;
  grant(part: ReplyPart): boolean;
}

/**
 * One platform message of a reply: the slice of the reply's text it shows, and the state of the
 * calls that put it on the platform (at most one in flight).
 */
export class ReplyPart implements RateWaiter {
  /** Index in the reply's text where this part's own text begins. */
  start: number;
  /** Where the part ends once it has been split off; undefined while it is the growing tail. */
  end: number | undefined = undefined;
  /** Fence line that reopens a code block cut at the end of the previous part. */
  reopen: string;
  /** The text this part ends with, once split off. */
  finalText: string | undefined = undefined;
  ref: PostedMessageRef | undefined = undefined;
  /** The text the platform last accepted for this message. */
  shown: string | undefined = undefined;
  /** Index in the reply's text up to which the shown text reaches. */
  shownEnd: number | undefined = undefined;
  inFlight = false;
  /** Queued in the scheduler; `queuedAsFinal` remembers with which urgency. */
  waiting = false;
  queuedAsFinal = false;
  waitingSince = 0;
  lastCallAt = Number.NEGATIVE_INFINITY;
  /** Earliest next attempt after a failure (backoff). */
  retryAt = Number.NEGATIVE_INFINITY;
  failures = 0;
  /** Start of the current run of failures; time queued for budget is subtracted from it. */
  failingSince: number | undefined = undefined;
  queuedWhileFailingMs = 0;
  gaveUp = false;

  constructor(
    private readonly owner: PartOwner,
    readonly index: number,
    start: number,
    reopen: string,
  ) {
    this.start = start;
    this.reopen = reopen;
  }

  /** Split-off parts and every part of an ended reply carry final text. */
  get urgency(): CallUrgency {
    return this.end !== undefined || this.owner.ended ? 'final' : 'interim';
  }

  /** Fairness is per reply: all parts of a reply share its last-served time. */
  get lastServedAt(): number {
    return this.owner.lastServedAt;
  }

  /** The edit interval since the last call on this message has passed, and any backoff. */
  get readyAt(): number {
    return Math.max(this.lastCallAt + this.owner.minEditIntervalMs, this.retryAt);
  }

  /** Called by the scheduler with a token. */
  grant(): boolean {
    return this.owner.grant(this);
  }

  /** True while a call or a queue slot will bring this part forward by itself. */
  get busy(): boolean {
    return this.inFlight || this.waiting;
  }
}
