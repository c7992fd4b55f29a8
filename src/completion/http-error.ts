import { CompletionError, type CompletionErrorCode } from './completion-error.js';
import { headerValue, retryAfterFromHeaders, retryAfterFromMessage, type ResponseHeaders } from './rate-limit-headers.js';
import { shouldRetryStatus } from './retry-policy.js';

/** Groq's error object, as found in HTTP error bodies and in-stream error events. */
export interface GroqErrorPayload {
  message?: string;
  type?: string;
  code?: string | null;
  param?: string | null;
  failed_generation?: string;
  status_code?: number;
}

const codeByGroqCode: Record<string, CompletionErrorCode> = {
  context_length_exceeded: 'context_too_long',
  json_validate_failed: 'json_invalid',
  model_decommissioned: 'model_decommissioned',
  tool_use_failed: 'tool_use_failed',
  model_not_found: 'model_not_found',
  invalid_api_key: 'invalid_api_key',
  capacity_exceeded: 'capacity_exceeded',
};

/** Our code for an HTTP error status, refined by Groq's own `error.code`. */
function codeForStatus(status: number, groqCode: string | undefined): CompletionErrorCode {
  if (status === 400 && groqCode !== undefined && codeByGroqCode[groqCode]) return codeByGroqCode[groqCode];
  switch (status) {
    case 400:
    case 422:
      return 'invalid_request';
    case 401:
      return 'invalid_api_key';
    case 403:
      return 'permission_denied';
    case 404:
      return 'model_not_found';
    case 408:
      return 'timeout';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limited';
    case 498:
      return 'capacity_exceeded';
    default:
      return status >= 500 ? 'server_error' : 'invalid_request';
  }
}

/** Reads Groq's `{error:{…}}` from a body text; undefined when it is not that shape. */
function parseErrorPayload(bodyText: string): GroqErrorPayload | undefined {
  try {
    const parsed = JSON.parse(bodyText) as { error?: unknown };
    const error = parsed?.error;
    if (typeof error === 'string') return { message: error };
    if (error !== null && typeof error === 'object') return error as GroqErrorPayload;
  } catch {
    // Not JSON (a proxy's HTML page, say): the status alone decides.
  }
  return undefined;
}

/** Turns an HTTP error response into our CompletionError (code, retryability, wait, Groq's details). */
export function httpError(status: number, headers: ResponseHeaders, bodyText: string): CompletionError {
  const payload = parseErrorPayload(bodyText);
  const groqCode = payload?.code ?? undefined;
  const message = payload?.message ?? (bodyText.trim().slice(0, 500) || `HTTP ${status}`);
  const code = codeForStatus(status, groqCode);
  let retryAfterMs = retryAfterFromHeaders(headers);
  if (retryAfterMs === undefined && status === 429) retryAfterMs = retryAfterFromMessage(message);
  return new CompletionError({
    code,
    message: `Groq answered ${status}: ${message}`,
    retryable: shouldRetryStatus(status, headers),
    groqCode,
    type: payload?.type,
    status,
    requestId: headerValue(headers, 'x-request-id'),
    retryAfterMs,
  });
}

/** Turns an error reported inside a 200 stream (`event: error`, `error`, `x_groq.error`) into a CompletionError. */
export function streamError(
  payload: GroqErrorPayload | string,
  partialText: string,
  requestId: string | undefined,
  cause?: unknown,
): CompletionError {
  const error: GroqErrorPayload = typeof payload === 'string' ? { message: payload } : payload;
  const groqCode = error.code ?? undefined;
  const status = typeof error.status_code === 'number' ? error.status_code : undefined;
  let code: CompletionErrorCode = 'stream_error';
  if (groqCode !== undefined && codeByGroqCode[groqCode]) code = codeByGroqCode[groqCode];
  else if (groqCode === 'rate_limit_exceeded') code = 'rate_limited';
  const message = error.message ?? 'Groq reported an error in the stream';
  return new CompletionError({
    code,
    message: `Groq stream failed: ${message}`,
    // Upstream hiccups (5xx, 429, an unexplained stop) may pass; a request Groq judged bad will not.
    retryable: status === undefined ? code === 'stream_error' : status >= 500 || status === 429 || status === 408,
    groqCode,
    type: error.type,
    status,
    requestId,
    retryAfterMs: code === 'rate_limited' ? retryAfterFromMessage(message) : undefined,
    partialText,
    cause,
  });
}
