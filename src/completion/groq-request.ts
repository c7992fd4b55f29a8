import diagnosticsChannel from 'node:diagnostics_channel';
import type { Dispatcher } from 'undici';
import { preciseNow } from '../precise-clock.js';
import type { CompletionError } from './completion-error.js';
import { transportError } from './transport-error.js';

/** Where and how requests go: fixed for the client's lifetime. */
export interface RequestTarget {
  dispatcher: Dispatcher;
  origin: string;
  path: string;
  headers: Record<string, string>;
  timeoutMs: number;
  idleTimeoutMs: number;
  /**
   * One request per connection: each request takes a fresh (spare) connection and closes it after
   * its response. undici 7 holds a request for a reused keep-alive connection until the event
   * loop's check phase (its idle-socket validation, a setImmediate); on a loop busy streaming other
   * answers that phase can be 100 ms away, while a spare is written to at once.
   */
  freshConnections: boolean;
}

/** One sent request whose headers arrived; the caller owns the body and must call `release`. */
export interface OpenResponse {
  statusCode: number;
  headers: Dispatcher.ResponseData['headers'];
  body: Dispatcher.ResponseData['body'];
  /** Detaches from the caller's signal; call once the body is finished with. */
  release(): void;
}

/** Callbacks for requests in flight, by their body (undici keeps the very Buffer it was given as `request.body`). */
const sentCallbacks = new WeakMap<object, (at: number) => void>();
let watchingSends = false;

/**
 * undici tells when a request's last byte is on the wire only through this channel (its handler
 * API has no such callback since v7). Without it, "sent" would mean "handed to the pool", which
 * hides a wait for a free connection.
 */
function watchSends(): void {
  if (watchingSends) return;
  watchingSends = true;
  diagnosticsChannel.subscribe('undici:request:bodySent', (message) => {
    const body = (message as { request?: { body?: unknown } }).request?.body;
    if (typeof body === 'object' && body !== null) sentCallbacks.get(body)?.(preciseNow());
  });
}

/**
 * Sends one POST and waits for the response headers, within `timeoutMs` (connect included).
 * The caller's signal stays linked until `release`, so an abort mid-body closes the socket.
 * `onSent` hears when the body's last byte was written to the connection.
 */
export async function sendRequest(
  target: RequestTarget,
  body: Buffer,
  signal: AbortSignal | undefined,
  onSent: (at: number) => void,
): Promise<OpenResponse> {
  watchSends();
  sentCallbacks.set(body, onSent);
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = (): void => controller.abort();
  if (signal?.aborted) controller.abort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const release = (): void => signal?.removeEventListener('abort', onAbort);
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, target.timeoutMs);
  try {
    const response = await target.dispatcher.request({
      origin: target.origin,
      path: target.path,
      method: 'POST',
      headers: target.headers,
      body,
      signal: controller.signal,
      // Our timer covers connect + headers together; undici's own would only cover headers.
      headersTimeout: 0,
      // undici re-arms this on every body chunk and holds it while we apply backpressure:
      // exactly "longest silence from the server between chunks".
      bodyTimeout: target.idleTimeoutMs,
      reset: target.freshConnections,
    });
    return { statusCode: response.statusCode, headers: response.headers, body: response.body, release };
  } catch (error) {
    release();
    throw transportError(error, {
      aborted: signal?.aborted === true,
      timedOut,
      timeoutMs: target.timeoutMs,
      idleTimeoutMs: target.idleTimeoutMs,
      partialText: '',
      requestId: undefined,
    }) satisfies CompletionError;
  } finally {
    clearTimeout(timer);
    sentCallbacks.delete(body);
  }
}

const maxErrorBodyBytes = 64 * 1024;

/** Reads a (small) error body as text, giving up past 64 KiB. */
export async function readErrorBody(body: OpenResponse['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxErrorBodyBytes) {
      body.destroy();
      break;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
