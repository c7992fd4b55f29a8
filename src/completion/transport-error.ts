import { CompletionError } from './completion-error.js';

/** What the client knew when a transport failure happened, to pick the right code. */
export interface TransportFailureContext {
  /** The caller's signal fired. */
  aborted: boolean;
  /** Our connect + headers timer fired. */
  timedOut: boolean;
  timeoutMs: number;
  idleTimeoutMs: number;
  partialText: string;
  requestId: string | undefined;
}

const timeoutCodes = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'ETIMEDOUT']);

function errorCode(error: unknown): string | undefined {
  if (error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

/** Maps an undici/socket failure (or an abort) onto `aborted`, `timeout` or `network`. */
export function transportError(error: unknown, context: TransportFailureContext): CompletionError {
  const base = { cause: error, partialText: context.partialText, requestId: context.requestId };
  if (context.aborted) {
    if (error instanceof CompletionError && error.code === 'aborted') return error;
    return new CompletionError({ ...base, code: 'aborted', message: 'The completion was cancelled', retryable: false });
  }
  if (error instanceof CompletionError) return error;
  const code = errorCode(error);
  if (context.timedOut || (code !== undefined && timeoutCodes.has(code))) {
    return new CompletionError({
      ...base,
      code: 'timeout',
      message: `Groq did not answer within ${context.timeoutMs} ms`,
      retryable: true,
    });
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return new CompletionError({
      ...base,
      code: 'timeout',
      message: `Groq sent nothing for ${context.idleTimeoutMs} ms in the middle of the answer`,
      retryable: true,
    });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new CompletionError({
    ...base,
    code: 'network',
    message: `Connection to Groq failed: ${detail}${code ? ` (${code})` : ''}`,
    retryable: true,
  });
}
