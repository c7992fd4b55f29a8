import type { Platform, PostedMessageRef } from '../platform.js';

/**
 * A shared rate budget (token bucket): every call of every reply that names the same `key`
 * draws on it. Slack `chat.update` is per workspace, Discord message routes per channel.
 */
export interface RateScope {
  /** Unique across the process, e.g. `slack:update:T123` or `discord:channel:456`. */
  readonly key: string;
  /** Burst size: calls allowed at once when the bucket is full. */
  readonly capacity: number;
  /** Sustained rate: tokens added per second. */
  readonly refillPerSecond: number;
}

/** What the renderer shows while no answer text is visible yet. */
export type IndicatorState = 'thinking' | 'typing';

/**
 * One reply being rendered, implemented by an adapter. Calls fail with `PlatformError`
 * (`platform_rate_limited` with `retryAfterMs`, `message_too_long`, …) from src/errors.ts.
 */
export interface ReplyTarget {
  readonly platform: Platform;
  /** Platform limit per message, in characters (UTF-16 code units). */
  readonly maxLength: number;
  /** Minimum time between two edits of one message. */
  readonly minEditIntervalMs: number;
  /** Posts a new message (the first part, or a continuation after a split). */
  post(text: string): Promise<PostedMessageRef>;
  /** Replaces the whole text of a message the target posted. */
  edit(ref: PostedMessageRef, text: string): Promise<void>;
  /** Shows a typing/status indicator, where the platform has one. */
  indicate?(state: IndicatorState): Promise<void>;
  /** The shared budget a call draws on. */
  scopeOf(call: 'post' | 'edit'): RateScope;
}

/** Reported each time a platform call has landed, so the store can hold what the user saw. */
export interface PartLanded {
  /** Index of the part (0 for the first message). */
  index: number;
  ref: PostedMessageRef;
  /** Text of this part as shown, without the in-progress marker. */
  text: string;
  /** The prefix of the answer that is visible across all parts, as raw model text. */
  visibleAnswer: string;
  /** True once this part is finished (split off or final). */
  final: boolean;
}

/** Callbacks a reply's owner (the conversation engine) receives. */
export interface ReplyObserver {
  /** A new platform message was posted for this reply. */
  onPartPosted?(index: number, ref: PostedMessageRef): void;
  /** An edit or post landed; called at most about once per edit interval per part. */
  onPartLanded?(landed: PartLanded): void;
}

/** How a reply ended, as the renderer reports it when the final edit has landed (or given up). */
export interface ReplyOutcome {
  parts: PostedMessageRef[];
  /** True when the final text is on the platform exactly. */
  delivered: boolean;
  /** Milliseconds from the end call to the final edit landing. */
  finalLatencyMs: number;
}

/** A reply in progress: feed it deltas, then end it exactly once. */
export interface ReplyHandle {
  /** Reasoning is streaming and no text yet: the indicator says "thinking…". */
  thinking(): void;
  /** Appends answer text. */
  append(delta: string): void;
  /** The answer is complete; `note` (e.g. "older messages were left out") is added below it. */
  complete(options?: { note?: string }): Promise<ReplyOutcome>;
  /** The answer stopped early: partial text stays, plus "⚠️ interrupted: <reason>". */
  interrupt(reason: string): Promise<ReplyOutcome>;
  /** Failed before (or instead of) any text: the placeholder becomes this human message. */
  fail(message: string): Promise<ReplyOutcome>;
  /** The answer text appended so far. */
  readonly text: string;
}
