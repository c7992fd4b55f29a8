import { GroqbotError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { CompletionError } from './completion-error.js';
import { readErrorBody, sendRequest, type OpenResponse, type RequestTarget } from './groq-request.js';
import { httpError, streamError } from './http-error.js';
import { headerValue, parseRateLimit } from './rate-limit-headers.js';
import { encodeRequest } from './request-body.js';
import { decideRetry, type RetryLimits } from './retry-policy.js';
import { StreamDecoder } from './stream-decoder.js';
import { transportError } from './transport-error.js';
import type { CompletionPart, CompletionRequest, CompletionStream, RateLimitInfo } from './types.js';

/** Everything a stream needs from its client. */
export interface StreamEnvironment {
  target: RequestTarget;
  retry: RetryLimits;
  logger: Logger;
  metrics: Metrics | undefined;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function alreadyIterated(): GroqbotError {
  return new GroqbotError('A completion stream can only be iterated once', { code: 'stream_already_iterated', retryable: false });
}

/** Parts decoded but not yet taken above which the socket is paused (backpressure). */
const maxQueuedParts = 512;

/**
 * One streamed completion. The request starts when iteration starts; retries happen only
 * before the response body starts; afterwards every failure ends the stream with the text so far.
 */
export class GroqCompletionStream implements CompletionStream {
  private headerRequestId: string | undefined;
  private rateLimitInfo: RateLimitInfo | undefined;
  private decoder: StreamDecoder | undefined;
  private deliveredText = '';
  private sentAt: number | undefined;
  private markSent: () => void = () => undefined;
  /** Settled by the write, a failed attempt or the end of the stream (settling twice is harmless). */
  private readonly sent = new Promise<void>((resolve) => {
    this.markSent = resolve;
  });
  private iterated = false;
  /** The last failure already counted in groqErrors (attempt failures are counted as they happen). */
  private countedFailure: CompletionError | undefined;

  constructor(
    private readonly environment: StreamEnvironment,
    private request: CompletionRequest | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** `x_groq.id` of the stream, else the `x-request-id` header, once known. */
  get requestId(): string | undefined {
    return this.decoder?.requestId ?? this.headerRequestId;
  }

  /** Rate-limit headers of the response that was streamed, once known. */
  get rateLimit(): RateLimitInfo | undefined {
    return this.rateLimitInfo;
  }

  /** When the first attempt's request was fully written to its connection. */
  get requestSentAt(): number | undefined {
    return this.sentAt;
  }

  /** Resolves once the request is on the wire, or the stream has failed or ended. */
  whenSent(): Promise<void> {
    return this.sent;
  }

  /** Answer text delivered to the consumer so far (what it may have shown). */
  get text(): string {
    return this.deliveredText;
  }

  /** Starts the request; a stream can be iterated once. */
  [Symbol.asyncIterator](): AsyncIterator<CompletionPart> {
    if (this.iterated) throw alreadyIterated();
    this.iterated = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<CompletionPart, void, undefined> {
    let outcome = 'aborted';
    try {
      let body: Buffer | undefined = this.takeBody();
      const response = await this.open(body);
      body = undefined;
      yield* this.consume(response);
      outcome = 'ok';
    } catch (error) {
      const failure = this.failureOf(error, false);
      outcome = failure.code;
      if (failure !== this.countedFailure) this.environment.metrics?.groqErrors.inc({ code: failure.code });
      throw failure;
    } finally {
      this.markSent();
      // Neither 'ok' nor a failure: the consumer stopped early (break), which cancels the answer.
      this.environment.metrics?.groqRequests.inc({ outcome });
    }
  }

  /**
   * The request as the body to send. Neither the request nor its JSON is kept while the answer
   * streams (every young-generation GC would copy them); the body is a Buffer because undici keeps
   * the body it was given until the response ends, and a Buffer's bytes live outside the JS heap.
   */
  private takeBody(): Buffer {
    const request = this.request;
    if (request === undefined) throw alreadyIterated();
    this.request = undefined;
    return Buffer.from(encodeRequest(request));
  }

  /** Sends the request, retrying what may pass, until a 2xx arrives or a failure is final. */
  private async open(body: Buffer): Promise<OpenResponse & { sentAt: number }> {
    const { target, retry, logger, metrics } = this.environment;
    for (let retriesDone = 0; ; retriesDone += 1) {
      if (this.signal?.aborted) throw this.failureOf(this.signal.reason, true);
      const sentAt = performance.now();
      let failure: CompletionError;
      try {
        const response = await sendRequest(target, body, this.signal, (at) => {
          this.sentAt ??= at;
          this.markSent();
        });
        this.headerRequestId = headerValue(response.headers, 'x-request-id');
        this.rateLimitInfo = parseRateLimit(response.headers) ?? this.rateLimitInfo;
        if (response.statusCode >= 200 && response.statusCode < 300) return { ...response, sentAt };
        try {
          failure = httpError(response.statusCode, response.headers, await readErrorBody(response.body));
        } finally {
          response.release();
        }
      } catch (error) {
        failure = this.failureOf(error, false);
      }
      // A failed attempt (connection refused, say) also ends the wait: the sign of life may show during retries.
      this.markSent();
      metrics?.groqErrors.inc({ code: failure.code });
      this.countedFailure = failure;
      const decision = decideRetry(failure, retriesDone, retry);
      if (!decision.retry) throw failure;
      logger.warn(
        { code: failure.code, status: failure.status, requestId: failure.requestId, attempt: retriesDone + 1, delayMs: decision.delayMs },
        'Groq request failed; retrying',
      );
      try {
        await this.environment.sleep(decision.delayMs, this.signal);
      } catch (error) {
        throw this.failureOf(error, true);
      }
    }
  }

  /** Streams the body's parts; never retries, and keeps the text received when it fails. */
  private async *consume(response: OpenResponse & { sentAt: number }): AsyncGenerator<CompletionPart, void, undefined> {
    const { metrics } = this.environment;
    const body = response.body;
    const decoder = new StreamDecoder(
      metrics ? () => metrics.groqTimeToFirstToken.observe((performance.now() - response.sentAt) / 1000) : undefined,
    );
    this.decoder = decoder;
    let ended = false;
    let bodyError: unknown;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      if (wake === undefined) return;
      const resolve = wake;
      wake = undefined;
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      decoder.feed(chunk);
      if (decoder.parts.length - decoder.head > maxQueuedParts) body.pause();
      notify();
    };
    const onEnd = (): void => {
      ended = true;
      notify();
    };
    const onError = (error: unknown): void => {
      bodyError ??= error;
      notify();
    };
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    try {
      for (;;) {
        while (decoder.hasParts) {
          if (this.signal?.aborted) throw this.failureOf(this.signal.reason, true);
          const part = decoder.take();
          if (part.type === 'text-delta') this.deliveredText += part.text;
          yield part;
        }
        if (decoder.error !== undefined) throw this.streamFailure(decoder.error);
        if (decoder.done) return;
        if (bodyError !== undefined) throw this.failureOf(bodyError, false);
        if (ended) {
          decoder.end();
          if (decoder.hasParts) continue;
          if (decoder.error !== undefined) throw this.streamFailure(decoder.error);
          if (decoder.done || decoder.finished) return;
          throw new CompletionError({
            code: 'stream_error',
            message: 'Groq ended the stream before the answer finished',
            retryable: true,
            requestId: this.requestId,
            partialText: this.text,
          });
        }
        if (this.signal?.aborted) throw this.failureOf(this.signal.reason, true);
        if (body.isPaused()) body.resume();
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      body.off('data', onData);
      if (!ended && bodyError === undefined && !decoder.done) {
        // Stopped early (failure, abort or a consumer's break): closing the socket stops generation.
        body.destroy();
      } else if (!ended) {
        // After [DONE] the terminating chunk is still in flight: let it arrive so the connection
        // returns to the pool; the idle timeout destroys it if the server never sends it.
        body.resume();
      }
      response.release();
    }
  }

  /** The error Groq reported inside the stream, with the text delivered before it. */
  private streamFailure(failure: NonNullable<StreamDecoder['error']>): CompletionError {
    return streamError(failure.payload, this.text, this.requestId, failure.cause);
  }

  /** Wraps anything thrown into our error (aborts win), with the text so far. */
  private failureOf(error: unknown, aborted: boolean): CompletionError {
    return transportError(error, {
      aborted: aborted || this.signal?.aborted === true,
      timedOut: false,
      timeoutMs: this.environment.target.timeoutMs,
      idleTimeoutMs: this.environment.target.idleTimeoutMs,
      partialText: this.text,
      requestId: this.requestId,
    });
  }
}
