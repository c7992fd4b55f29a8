import { Pool, type Dispatcher } from 'undici';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { settledWithin } from '../settled-within.js';
import { GroqCompletionStream, type StreamEnvironment } from './completion-stream.js';
import { sleep } from './sleep.js';
import { WarmConnector } from './warm-connector.js';
import type { CompletionClient, CompletionRequest, CompletionStream } from './types.js';

/** How long close() lets streams in flight finish before cutting them. */
const closeGraceMs = 1000;
/** Well under the idle timeouts of HTTP servers and load balancers (commonly 60 s or more). */
const warmConnectionMaxIdleMs = 30_000;
/** Ten minutes without a question and expiring spares are not replaced. */
const warmConnectionDemandWindowMs = 10 * 60_000;

/** Settings of the Groq client (the GROQ_* configuration, plus seams for tests). */
export interface GroqClientOptions {
  /** OpenAI-compatible base URL, e.g. `https://api.groq.com/openai/v1`. */
  baseUrl: string;
  apiKey: string;
  /** Connect + response headers, per attempt. */
  timeoutMs: number;
  /** Longest silence between stream chunks. */
  idleTimeoutMs: number;
  /** Retries before the response body starts. */
  maxRetries: number;
  /** A server asking to wait longer than this fails at once, with the wait in `retryAfterMs`. */
  maxRetryWaitMs: number;
  logger: Logger;
  metrics?: Metrics;
  /** undici dispatcher to send through; by default a keep-alive pool to the base URL, owned by the client. */
  dispatcher?: Dispatcher;
  /** Idle connections the owned pool keeps open ahead of need (default 0: connect on demand). */
  warmConnections?: number;
  /** Jitter source for backoff (tests pin it). */
  random?: () => number;
  /** How to wait between retries (tests record the delays). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Streams chat completions from Groq (or any OpenAI-compatible server) over a keep-alive undici pool. */
export class GroqClient implements CompletionClient {
  private readonly environment: StreamEnvironment;
  private readonly ownedPool: Pool | undefined;
  private readonly warmConnector: WarmConnector | undefined;

  constructor(options: GroqClientOptions) {
    const url = new URL(`${options.baseUrl.replace(/\/+$/, '')}/chat/completions`);
    const spares = options.warmConnections ?? 0;
    if (options.dispatcher === undefined && spares > 0) {
      this.warmConnector = new WarmConnector({
        spares,
        timeoutMs: options.timeoutMs,
        maxIdleMs: warmConnectionMaxIdleMs,
        demandWindowMs: warmConnectionDemandWindowMs,
        logger: options.logger,
      });
      this.warmConnector.prime(url.origin);
    }
    this.ownedPool =
      options.dispatcher === undefined
        ? new Pool(url.origin, { connect: this.warmConnector?.connect ?? { timeout: options.timeoutMs }, headersTimeout: 0, bodyTimeout: options.idleTimeoutMs })
        : undefined;
    this.environment = {
      target: {
        dispatcher: options.dispatcher ?? (this.ownedPool as Pool),
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          'content-type': 'application/json',
          accept: 'text/event-stream',
        },
        timeoutMs: options.timeoutMs,
        idleTimeoutMs: options.idleTimeoutMs,
        // With spares a fresh connection is ready at once; without them, reuse beats a handshake.
        freshConnections: this.warmConnector !== undefined,
      },
      retry: { maxRetries: options.maxRetries, maxRetryWaitMs: options.maxRetryWaitMs, random: options.random ?? Math.random },
      logger: options.logger,
      metrics: options.metrics,
      sleep: options.sleep ?? sleep,
    };
  }

  /** Starts a streamed completion; the request is sent when iteration starts. Invalid requests fail there, before any network call. */
  stream(request: CompletionRequest, options: { signal?: AbortSignal } = {}): CompletionStream {
    return new GroqCompletionStream(this.environment, request, options.signal);
  }

  /** Closes the keep-alive pool: streams in flight get a second to finish, then are cut. A dispatcher passed in is left to its owner. */
  async close(): Promise<void> {
    this.warmConnector?.close();
    const pool = this.ownedPool;
    if (pool === undefined || pool.closed || pool.destroyed) return;
    // A stalled stream would hold a graceful close until its idle timeout; shutdown should not wait that long.
    if (!(await settledWithin(pool.close(), closeGraceMs))) await pool.destroy();
  }
}
