import { GroqbotError } from '../errors.js';

/** Our stable codes for every way a completion can fail. */
export type CompletionErrorCode =
  | 'invalid_request'
  | 'rate_limited'
  | 'request_too_large'
  | 'context_too_long'
  | 'invalid_api_key'
  | 'permission_denied'
  | 'model_not_found'
  | 'model_decommissioned'
  | 'json_invalid'
  | 'tool_use_failed'
  | 'capacity_exceeded'
  | 'server_error'
  | 'stream_error'
  | 'network'
  | 'timeout'
  | 'aborted';

/** Everything known about a failed completion. */
export interface CompletionErrorDetails {
  code: CompletionErrorCode;
  message: string;
  retryable: boolean;
  cause?: unknown;
  /** Groq's own `error.code` (e.g. `context_length_exceeded`). */
  groqCode?: string;
  /** Groq's `error.type` (e.g. `invalid_request_error`, `tokens`). */
  type?: string;
  /** HTTP status, when the failure came with one (in-stream errors carry `status_code`). */
  status?: number;
  requestId?: string;
  /** How long Groq asked us to wait, when it said. */
  retryAfterMs?: number;
  /** Answer text delivered before the failure. */
  partialText?: string;
}

/** The one error type of the completion client. */
export class CompletionError extends GroqbotError {
  declare readonly code: CompletionErrorCode;
  readonly groqCode: string | undefined;
  readonly type: string | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** Answer text delivered before the failure ('' when none). */
  readonly partialText: string;

  constructor(details: CompletionErrorDetails) {
    super(details.message, { code: details.code, cause: details.cause, retryable: details.retryable });
    this.name = 'CompletionError';
    this.groqCode = details.groqCode;
    this.type = details.type;
    this.status = details.status;
    this.requestId = details.requestId;
    this.retryAfterMs = details.retryAfterMs;
    this.partialText = details.partialText ?? '';
  }
}
