import { PlatformError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { PostedMessageRef } from '../platform.js';
import { closingLineAtEnd } from './markdown-fences.js';
import type { RateScheduler } from './rate-scheduler.js';
import { ReplyPart, type PartOwner } from './reply-part.js';
import { endingSuffix, interimText, thinkingPlaceholder, typingPlaceholder } from './reply-text.js';
import { findCut } from './split-text.js';
import type { IndicatorState, ReplyHandle, ReplyObserver, ReplyOutcome, ReplyTarget } from './types.js';

/** What a session needs from the renderer that started it. */
export interface SessionContext {
  readonly target: ReplyTarget;
  readonly observer: ReplyObserver | undefined;
  readonly scheduler: RateScheduler;
  readonly logger: Logger;
  readonly metrics: Metrics | undefined;
  readonly now: () => number;
  readonly finalRetryWindowMs: number;
  /** The message length limit currently believed for the target. */
  limit(): number;
  /** The platform said a text of `failedLength` is too long; returns false when it cannot go lower. */
  lowerLimit(failedLength: number): boolean;
}

/** The text a part should show now. */
interface Rendering {
  text: string;
  /** The text without the in-progress marker, as reported to the observer. */
  withoutMarker: string;
  /** Index in the reply's text up to which this rendering reaches. */
  end: number;
}

type Ending = Parameters<typeof endingSuffix>[1];

/** Typing indicators fade (Discord after 10 s): refresh them until the first text shows. */
const indicatorRefreshMs = 8_000;
/** Backoff after a failed call (not a 429: those pause the scope instead). */
const firstBackoffMs = 500;
const maximumBackoffMs = 15_000;

/**
 * One reply on one target: turns appended text into posts and edits of the newest text, split
 * at the target's limit, within the target's edit interval and the shared budgets, and ends
 * with the exact final text.
 */
export class ReplySession implements ReplyHandle, PartOwner {
  /** When this reply was last granted a call (fairness between replies). */
  lastServedAt = Number.NEGATIVE_INFINITY;
  /** True once complete, interrupt or fail was called. */
  ended = false;
  /** Minimum time between two calls on one message of the target. */
  readonly minEditIntervalMs: number;
  private answer = '';
  private content = '';
  private thinkingShown = false;
  private endedAt = 0;
  private readonly parts: ReplyPart[];
  private indicatorTimer: NodeJS.Timeout | undefined;
  private outcome: Promise<ReplyOutcome> | undefined;
  private resolveOutcome: ((outcome: ReplyOutcome) => void) | undefined;
  private settled = false;
  private readonly logger: Logger;

  constructor(private readonly context: SessionContext) {
    this.parts = [new ReplyPart(this, 0, 0, '')];
    this.logger = context.logger;
    this.minEditIntervalMs = context.target.minEditIntervalMs;
  }

  /** Shows the sign of life: the target's indicator, or a placeholder message. */
  begin(): void {
    if (this.context.target.indicate) this.indicate('typing');
    else this.pump();
  }

  get text(): string {
    return this.answer;
  }

  thinking(): void {
    if (this.ended || this.thinkingShown || this.answer !== '') return;
    this.thinkingShown = true;
    if (this.context.target.indicate) this.indicate('thinking');
    else this.pump();
  }

  append(delta: string): void {
    if (this.ended || delta === '') return;
    this.answer += delta;
    this.content = this.answer;
    // A busy tail pulls the newest text when its turn comes; only an idle one needs a push.
    if (this.parts[this.parts.length - 1]?.busy) return;
    this.pump();
  }

  complete(options: { note?: string } = {}): Promise<ReplyOutcome> {
    return this.end(options.note === undefined ? { kind: 'complete' } : { kind: 'complete', note: options.note });
  }

  interrupt(reason: string): Promise<ReplyOutcome> {
    return this.end({ kind: 'interrupt', reason });
  }

  fail(message: string): Promise<ReplyOutcome> {
    return this.end({ kind: 'fail', message });
  }

  /** Hands a token to `part`; false gives it back (nothing to send after all). */
  grant(part: ReplyPart): boolean {
    const now = this.context.now();
    part.waiting = false;
    part.queuedAsFinal = false;
    // Only the wait for budget is forgiven, not the backoff the part sat out in the queue.
    if (part.failingSince !== undefined) part.queuedWhileFailingMs += Math.max(0, now - Math.max(part.waitingSince, part.readyAt));
    if (part.inFlight || part.gaveUp || this.settled) return false;
    this.layout();
    const rendering = this.render(part);
    if (rendering === undefined || rendering.text === part.shown || (part.ref === undefined && !this.mayPost(part))) {
      this.pump();
      return false;
    }
    this.send(part, rendering, now);
    return true;
  }

  private end(ending: Ending): Promise<ReplyOutcome> {
    if (this.outcome !== undefined) return this.outcome;
    this.outcome = new Promise((resolve) => {
      this.resolveOutcome = resolve;
    });
    this.ended = true;
    this.endedAt = this.context.now();
    this.content = this.answer + endingSuffix(this.answer, ending);
    this.stopIndicator();
    this.pump();
    this.settleIfDone();
    return this.outcome;
  }

  /** Queues every part that has something new to show; the scheduler waits for its interval and budget. */
  private pump(): void {
    if (this.settled) return;
    this.layout();
    const now = this.context.now();
    for (const part of this.parts) {
      if (part.inFlight || part.gaveUp) continue;
      if (part.waiting) {
        // Became final while queued: re-queue so it goes before interim updates.
        if (part.urgency === 'final' && !part.queuedAsFinal) this.enqueue(part, now);
        continue;
      }
      const rendering = this.render(part);
      if (rendering === undefined || rendering.text === part.shown) continue;
      if (part.ref === undefined && !this.mayPost(part)) continue;
      this.enqueue(part, now);
    }
  }

  private enqueue(part: ReplyPart, now: number): void {
    if (!part.waiting) part.waitingSince = now;
    part.waiting = true;
    part.queuedAsFinal = part.urgency === 'final';
    this.context.scheduler.request(this.context.target.scopeOf(part.ref === undefined ? 'post' : 'edit'), part);
  }

  /** Splits off parts that have grown past the limit; never touches a part whose final text landed. */
  private layout(): void {
    const limit = this.context.limit();
    for (let index = 0; index < this.parts.length; index += 1) {
      const part = this.parts[index];
      if (part === undefined) break;
      const isTail = index === this.parts.length - 1;
      if (!isTail && part.finalText !== undefined && part.shown === part.finalText) continue;
      const body = part.reopen + this.content.slice(part.start, part.end);
      const length = isTail
        ? (this.ended ? body : interimText(body).text).length
        : (part.finalText ?? body).length;
      if (length <= limit) continue;
      if (body.length <= part.reopen.length + 1) continue;
      const cut = findCut(body, limit, part.reopen.length + 1);
      const end = part.start + cut.index - part.reopen.length;
      part.end = end;
      part.finalText = body.slice(0, cut.index) + cut.close;
      const next = this.parts[index + 1];
      if (next === undefined) {
        this.parts.push(new ReplyPart(this, index + 1, end, cut.reopen));
      } else {
        // A lowered limit moved this cut earlier: the next part starts sooner.
        next.start = end;
        next.reopen = cut.reopen;
        if (next.end !== undefined) {
          const nextBody = next.reopen + this.content.slice(next.start, next.end);
          next.finalText = nextBody + closingLineAtEnd(nextBody);
        }
      }
    }
  }

  /** The text `part` should show now, or undefined when it has nothing to show. */
  private render(part: ReplyPart): Rendering | undefined {
    if (part.end !== undefined && part.finalText !== undefined) {
      return { text: part.finalText, withoutMarker: part.finalText, end: part.end };
    }
    const own = this.content.slice(part.start);
    const body = part.reopen + own;
    if (this.ended) {
      return own.trim() === '' ? undefined : { text: body, withoutMarker: body, end: this.content.length };
    }
    if (own.trim() === '') {
      if (part.index !== 0 || this.context.target.indicate) return undefined;
      const placeholder = this.thinkingShown ? thinkingPlaceholder : typingPlaceholder;
      return { text: placeholder, withoutMarker: placeholder, end: part.start };
    }
    return { ...interimText(body), end: this.content.length };
  }

  /** Continuations are posted in order: after the previous part exists (or was given up on). */
  private mayPost(part: ReplyPart): boolean {
    const previous = this.parts[part.index - 1];
    return previous === undefined || previous.ref !== undefined || previous.gaveUp;
  }

  private send(part: ReplyPart, rendering: Rendering, now: number): void {
    const { target, metrics } = this.context;
    part.inFlight = true;
    this.lastServedAt = now;
    metrics?.editsSent.inc({ platform: target.platform });
    const ref = part.ref;
    // Read right before the call: the interval is between calls as the platform sees them.
    part.lastCallAt = this.context.now();
    const call: Promise<PostedMessageRef | void> =
      ref === undefined ? callSafely(() => target.post(rendering.text)) : callSafely(() => target.edit(ref, rendering.text));
    call.then(
      (posted) => this.landed(part, rendering, posted),
      (error: unknown) => this.failed(part, rendering, error),
    );
  }

  private observeLatency(part: ReplyPart): void {
    const { scheduler, target } = this.context;
    const call = part.ref === undefined ? 'post' : 'edit';
    scheduler.observeLatency(target.scopeOf(call).key, this.context.now() - part.lastCallAt);
  }

  private landed(part: ReplyPart, rendering: Rendering, posted: PostedMessageRef | void): void {
    part.inFlight = false;
    this.observeLatency(part);
    part.failures = 0;
    part.failingSince = undefined;
    part.queuedWhileFailingMs = 0;
    part.retryAt = Number.NEGATIVE_INFINITY;
    const { observer } = this.context;
    if (part.ref === undefined && posted) {
      part.ref = posted;
      if (part.index === 0) this.stopIndicator();
      this.notify(() => observer?.onPartPosted?.(part.index, posted));
    }
    part.shown = rendering.text;
    part.shownEnd = rendering.end;
    const ref = part.ref;
    if (ref !== undefined) {
      const final = part.end !== undefined || this.ended;
      this.notify(() =>
        observer?.onPartLanded?.({
          index: part.index,
          ref,
          text: rendering.withoutMarker,
          visibleAnswer: this.visibleAnswer(),
          final: final && rendering.text === this.render(part)?.text,
        }),
      );
    }
    this.pump();
    this.settleIfDone();
  }

  private failed(part: ReplyPart, rendering: Rendering, error: unknown): void {
    part.inFlight = false;
    this.observeLatency(part);
    const { target, metrics, scheduler, logger } = this.context;
    const now = this.context.now();
    const call = part.ref === undefined ? 'post' : 'edit';
    const code = error instanceof PlatformError ? error.code : undefined;
    if (code === 'platform_rate_limited') {
      const retryAfterMs = error instanceof PlatformError && error.retryAfterMs !== undefined ? error.retryAfterMs : 1_000;
      metrics?.rateLimited.inc({ platform: target.platform });
      scheduler.pause(target.scopeOf(call), retryAfterMs);
      logger.warn({ platform: target.platform, scope: target.scopeOf(call).key, retryAfterMs, call }, 'platform rate limit hit; scope paused');
    } else if (code === 'message_too_long' && this.context.lowerLimit(rendering.text.length)) {
      logger.warn({ platform: target.platform, length: rendering.text.length, limit: this.context.limit() }, 'message too long; splitting lower');
    } else {
      part.failures += 1;
      part.failingSince ??= now;
      part.retryAt = now + Math.min(maximumBackoffMs, firstBackoffMs * 2 ** (part.failures - 1));
      const failingMs = now - part.failingSince - part.queuedWhileFailingMs;
      if (part.urgency === 'final' && failingMs >= this.context.finalRetryWindowMs) {
        part.gaveUp = true;
        metrics?.finalEditFailures.inc({ platform: target.platform });
        logger.error({ platform: target.platform, part: part.index, call, failingMs, error: errorMessage(error) }, 'final text could not be delivered; giving up');
      } else {
        logger.warn({ platform: target.platform, part: part.index, call, failures: part.failures, error: errorMessage(error) }, 'platform call failed; will retry');
      }
    }
    this.pump();
    this.settleIfDone();
  }

  /** The prefix of the answer shown across all parts, as raw model text. */
  private visibleAnswer(): string {
    let end = 0;
    for (const part of this.parts) {
      if (part.shownEnd === undefined) break;
      end = part.shownEnd;
      if (part.end === undefined || part.shownEnd < part.end) break;
    }
    return this.answer.slice(0, Math.min(end, this.answer.length));
  }

  private settleIfDone(): void {
    if (!this.ended || this.settled) return;
    for (const part of this.parts) {
      if (part.gaveUp) continue;
      if (part.inFlight) return;
      const rendering = this.render(part);
      if (rendering !== undefined && rendering.text !== part.shown) return;
    }
    this.settled = true;
    for (const part of this.parts) {
      if (part.waiting) this.context.scheduler.withdraw(this.context.target.scopeOf(part.ref === undefined ? 'post' : 'edit').key, part);
    }
    const { metrics, target } = this.context;
    const finalLatencyMs = this.context.now() - this.endedAt;
    const delivered = this.parts.every((part) => !part.gaveUp);
    if (delivered) metrics?.finalEditLatency.observe({ platform: target.platform }, finalLatencyMs / 1000);
    const refs = this.parts.flatMap((part) => (part.ref === undefined ? [] : [part.ref]));
    this.resolveOutcome?.({ parts: refs, delivered, finalLatencyMs });
  }

  private indicate(state: IndicatorState): void {
    const indicate = this.context.target.indicate?.bind(this.context.target);
    if (indicate === undefined) return;
    callSafely(() => indicate(state)).catch((error: unknown) => {
      this.logger.debug({ platform: this.context.target.platform, error: errorMessage(error) }, 'typing indicator failed');
    });
    this.stopIndicator();
    this.indicatorTimer = setTimeout(() => {
      this.indicatorTimer = undefined;
      if (!this.ended && this.parts[0]?.ref === undefined) this.indicate(state);
    }, indicatorRefreshMs);
    this.indicatorTimer.unref();
  }

  private stopIndicator(): void {
    if (this.indicatorTimer !== undefined) clearTimeout(this.indicatorTimer);
    this.indicatorTimer = undefined;
  }

  private notify(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.logger.error({ error: errorMessage(error) }, 'reply observer failed');
    }
  }
}

/** Runs a target call so that a synchronous throw becomes a rejection. */
function callSafely<T>(call: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error);
  }
}
