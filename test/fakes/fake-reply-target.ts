import { performance } from 'node:perf_hooks';
import { PlatformError } from '../../src/errors.js';
import type { Platform, PostedMessageRef } from '../../src/platform.js';
import type { IndicatorState, RateScope, ReplyTarget } from '../../src/reply/types.js';

/** One call a fake target received. */
export interface FakeCall {
  kind: 'post' | 'edit' | 'indicate';
  /** Name of the target that received it. */
  target: string;
  /** The message posted or edited (assigned when a post starts). */
  messageId: string | undefined;
  text: string | undefined;
  state: IndicatorState | undefined;
  /** Key of the scope the call drew on (none for indicators). */
  scopeKey: string | undefined;
  /** Clock time the call arrived. */
  startedAt: number;
  /** Clock time the answer went back; undefined while in flight. */
  endedAt: number | undefined;
  outcome: 'ok' | 'rate_limited' | 'too_long' | 'unavailable' | undefined;
}

/** A failure forced onto the next calls of a target. */
export type ForcedFailure = 'rate_limited' | 'too_long' | 'unavailable';

/**
 * A platform rate budget as the platform enforces it: its own token bucket (independent of the
 * renderer's), shared by every fake target naming it, answering 429 with retry-after when empty.
 */
export class FakeScope implements RateScope {
  /** Every post and edit that drew on this scope, in arrival order. */
  readonly calls: FakeCall[] = [];
  /** 429s this scope answered. */
  rateLimited = 0;
  private tokens: number;
  private refilledAt: number;

  constructor(
    readonly key: string,
    readonly capacity: number,
    readonly refillPerSecond: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.refilledAt = clock();
  }

  /** Takes a token for a call; returns the retry-after in ms when the budget is spent. */
  take(): number | undefined {
    const now = this.clock();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.refillPerSecond);
    this.refilledAt = now;
    // A hair of tolerance for floating-point drift; a real platform is no stricter than that.
    if (this.tokens >= 1 - 1e-6) {
      this.tokens -= 1;
      return undefined;
    }
    this.rateLimited += 1;
    return Math.ceil(((1 - this.tokens) / this.refillPerSecond) * 1000);
  }
}

/** Options of a fake reply target. */
export interface FakeReplyTargetOptions {
  name?: string;
  platform?: Platform;
  /** The limit the target declares. */
  maxLength?: number;
  /** The limit the fake platform enforces (defaults to `maxLength`), to test learning a lower one. */
  enforcedMaxLength?: number;
  minEditIntervalMs?: number;
  postScope: FakeScope;
  /** Scope of edits; the post scope when omitted (Discord: one budget per channel). */
  editScope?: FakeScope;
  /** Answer latency per call: fixed, or uniformly random in a range. */
  latencyMs?: number | { min: number; max: number };
  /** Whether the target has a typing indicator (default true). */
  indicator?: boolean;
  channelId?: string;
  clock?: () => number;
}

/** A ReplyTarget recording every call, enforcing a length limit and shared rate budgets. */
export class FakeReplyTarget implements ReplyTarget {
  readonly name: string;
  readonly platform: Platform;
  readonly maxLength: number;
  readonly minEditIntervalMs: number;
  /** Every call this target received, in arrival order. */
  readonly calls: FakeCall[] = [];
  /** Current text of every message, in the order they were posted. */
  readonly messages = new Map<string, string>();
  /** Highest number of calls seen in flight at once for one message. */
  maxInFlightPerMessage = 0;
  indicate?: (state: IndicatorState) => Promise<void>;
  private readonly enforcedMaxLength: number;
  private readonly postScope: FakeScope;
  private readonly editScope: FakeScope;
  private readonly clock: () => number;
  private readonly inFlight = new Map<string, number>();
  private readonly forced: Array<{ failure: ForcedFailure; retryAfterMs: number; call: 'post' | 'edit' | 'any' }> = [];
  private nextMessage = 0;
  private static targets = 0;

  constructor(private readonly options: FakeReplyTargetOptions) {
    FakeReplyTarget.targets += 1;
    this.name = options.name ?? `target-${FakeReplyTarget.targets}`;
    this.platform = options.platform ?? 'slack';
    this.maxLength = options.maxLength ?? 4_000;
    this.enforcedMaxLength = options.enforcedMaxLength ?? this.maxLength;
    this.minEditIntervalMs = options.minEditIntervalMs ?? 1_000;
    this.postScope = options.postScope;
    this.editScope = options.editScope ?? options.postScope;
    this.clock = options.clock ?? (() => performance.now());
    if (options.indicator !== false) {
      this.indicate = async (state: IndicatorState) => {
        const now = this.clock();
        this.calls.push({ kind: 'indicate', target: this.name, messageId: undefined, text: undefined, state, scopeKey: undefined, startedAt: now, endedAt: now, outcome: 'ok' });
      };
    }
  }

  scopeOf(call: 'post' | 'edit'): RateScope {
    return call === 'post' ? this.postScope : this.editScope;
  }

  /** Makes the next `count` posts/edits fail as given. */
  failNext(count: number, failure: ForcedFailure, options: { retryAfterMs?: number; call?: 'post' | 'edit' | 'any' } = {}): void {
    for (let index = 0; index < count; index += 1) {
      this.forced.push({ failure, retryAfterMs: options.retryAfterMs ?? 1_000, call: options.call ?? 'any' });
    }
  }

  async post(text: string): Promise<PostedMessageRef> {
    this.nextMessage += 1;
    const messageId = `${this.name}-m${this.nextMessage}`;
    await this.call('post', messageId, text);
    this.messages.set(messageId, text);
    return { channelId: this.options.channelId ?? `${this.name}-channel`, messageId };
  }

  async edit(ref: PostedMessageRef, text: string): Promise<void> {
    if (!this.messages.has(ref.messageId)) throw new PlatformError(`unknown message ${ref.messageId}`, { code: 'platform_rejected' });
    await this.call('edit', ref.messageId, text);
    this.messages.set(ref.messageId, text);
  }

  /** Texts of all messages, in the order they were posted. */
  texts(): string[] {
    return [...this.messages.values()];
  }

  /** Posts and edits that arrived (not indicators). */
  messageCalls(): FakeCall[] {
    return this.calls.filter((call) => call.kind !== 'indicate');
  }

  private async call(kind: 'post' | 'edit', messageId: string, text: string): Promise<void> {
    const scope = kind === 'post' ? this.postScope : this.editScope;
    const record: FakeCall = { kind, target: this.name, messageId, text, state: undefined, scopeKey: scope.key, startedAt: this.clock(), endedAt: undefined, outcome: undefined };
    this.calls.push(record);
    scope.calls.push(record);
    const inFlight = (this.inFlight.get(messageId) ?? 0) + 1;
    this.inFlight.set(messageId, inFlight);
    this.maxInFlightPerMessage = Math.max(this.maxInFlightPerMessage, inFlight);
    let error: PlatformError | undefined;
    const forcedIndex = this.forced.findIndex((entry) => entry.call === 'any' || entry.call === kind);
    const forced = forcedIndex === -1 ? undefined : this.forced.splice(forcedIndex, 1)[0];
    if (forced !== undefined) {
      error = failureError(forced.failure, forced.retryAfterMs);
      if (forced.failure === 'rate_limited') scope.rateLimited += 1;
    } else {
      const retryAfterMs = scope.take();
      if (retryAfterMs !== undefined) error = failureError('rate_limited', retryAfterMs);
      else if (text.length > this.enforcedMaxLength) error = failureError('too_long', 0);
      else if (text.length === 0) error = new PlatformError('empty message', { code: 'platform_rejected' });
    }
    await this.delay();
    this.inFlight.set(messageId, (this.inFlight.get(messageId) ?? 1) - 1);
    record.endedAt = this.clock();
    record.outcome = error === undefined ? 'ok' : error.code === 'platform_rate_limited' ? 'rate_limited' : error.code === 'message_too_long' ? 'too_long' : 'unavailable';
    if (error !== undefined) throw error;
  }

  private delay(): Promise<void> {
    const latency = this.options.latencyMs ?? 0;
    const milliseconds = typeof latency === 'number' ? latency : latency.min + Math.random() * (latency.max - latency.min);
    if (milliseconds <= 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => setTimeout(resolve, milliseconds));
  }
}

function failureError(failure: ForcedFailure, retryAfterMs: number): PlatformError {
  switch (failure) {
    case 'rate_limited':
      return new PlatformError('rate limited', { code: 'platform_rate_limited', retryAfterMs });
    case 'too_long':
      return new PlatformError('message too long', { code: 'message_too_long' });
    case 'unavailable':
      return new PlatformError('platform unavailable', { code: 'platform_unavailable' });
  }
}
