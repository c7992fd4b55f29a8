/** Options every groqbot error carries: a stable code, the cause, and whether a retry can help. */
export interface GroqbotErrorOptions {
  code: string;
  cause?: unknown;
  retryable?: boolean;
}

/** Base error of the service: a stable `code`, the `cause`, and whether retrying can help. */
export class GroqbotError extends Error {
  /** Stable machine-readable code; never changes meaning once shipped. */
  readonly code: string;
  /** True when the same call may succeed if tried again later. */
  readonly retryable: boolean;

  constructor(message: string, options: GroqbotErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GroqbotError';
    this.code = options.code;
    this.retryable = options.retryable ?? false;
  }
}

/** Codes a platform call (post, edit) may fail with, as adapters report them to the renderer. */
export type PlatformErrorCode =
  | 'platform_rate_limited'
  | 'message_too_long'
  | 'platform_unavailable'
  | 'platform_rejected';

/** A failed platform call, translated by an adapter so the core can react without platform types. */
export class PlatformError extends GroqbotError {
  declare readonly code: PlatformErrorCode;
  /** How long the platform asked us to wait, for `platform_rate_limited`. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options: { code: PlatformErrorCode; cause?: unknown; retryable?: boolean; retryAfterMs?: number },
  ) {
    super(message, {
      code: options.code,
      cause: options.cause,
      retryable: options.retryable ?? (options.code === 'platform_rate_limited' || options.code === 'platform_unavailable'),
    });
    this.name = 'PlatformError';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Narrows an unknown thrown value to an Error message safe for logs and users. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
