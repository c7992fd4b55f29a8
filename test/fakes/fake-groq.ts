import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  contentFrame,
  doneFrame,
  errorEventFrame,
  finishFrame,
  newStreamIdentity,
  reasoningFrame,
  roleFrame,
  tokenize,
  type FrameError,
  type StreamIdentity,
} from './fake-groq-frames.js';
import { preciseNow } from './precise-clock.js';

export { tokenize } from './fake-groq-frames.js';

/** One request the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON ({} if unparsable). */
  body: Record<string, unknown>;
  rawBody: string;
  receivedAt: number;
  /** Resolves when the client's connection for this request closed (or the response ended). */
  closed: Promise<void>;
  /** Date.now() when the request's socket/connection closed before the response finished, if it did. */
  abortedAt?: number;
  /** `preciseNow()` when the body had arrived (same moment as `receivedAt`, sub-millisecond; benchmarks). */
  arrivedAt?: number;
  /** `preciseNow()` when the first content chunk was written (`text` behaviours; benchmarks). */
  firstContentAt?: number;
  /** `preciseNow()` when the last content chunk was written (`text` behaviours; benchmarks). */
  lastContentAt?: number;
  /** The answer text streamed in content chunks (`text` behaviours; benchmarks). */
  contentText?: string;
  /** The client's port: which connection the request came on. */
  remotePort?: number;
}

/** How the fake answers one request. */
export type FakeGroqBehaviour =
  | {
      kind: 'text';
      text: string;
      reasoning?: string;
      tokensPerSecond?: number;
      chunks?: string[];
      finishReason?: 'stop' | 'length';
      usage?: { prompt_tokens?: number; completion_tokens?: number };
      usageOnlyInXGroq?: boolean;
      headers?: Record<string, string>;
      firstByteDelayMs?: number;
    }
  /** fixtures/groq/<name>.sse streamed (200), or <name>.json + <name>.headers.json as an HTTP error. */
  | { kind: 'fixture'; name: string; tokensPerSecond?: number }
  | { kind: 'http-error'; status: number; body: unknown; headers?: Record<string, string> }
  /** Destroys the socket after N content chunks. */
  | { kind: 'cut'; text: string; afterChunks: number }
  /** `event: error` mid-stream after N content chunks. */
  | { kind: 'error-event'; text: string; afterChunks: number; error?: { message: string; type?: string; code?: string } }
  /** Stops sending after N content chunks but keeps the connection open. */
  | { kind: 'stall'; text: string; afterChunks: number };

/** A running fake Groq server. */
export interface FakeGroq {
  /** e.g. http://127.0.0.1:PORT/openai/v1 */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Answers the next requests in order (requests refused for a bad key or model do not use one). */
  enqueue(...behaviours: FakeGroqBehaviour[]): void;
  /** How to answer when the queue is empty. */
  setFallback(respond: (request: RecordedRequest) => FakeGroqBehaviour): void;
  /** Resolves once `count` requests arrived (rejects after `timeoutMs`, 5 s by default). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Client connections open now (spares included). */
  readonly openConnections: number;
  /** Closes the server and every open connection. */
  close(): Promise<void>;
}

/** The fake's key and models unless told otherwise. */
export const fakeGroqDefaults = {
  apiKey: 'gsk_test_fake_key_0123456789',
  models: ['openai/gpt-oss-120b', 'openai/gpt-oss-20b', 'qwen/qwen3.8-27b'],
};

const completionsPath = '/openai/v1/chat/completions';
/** Properties Groq answers 400 to. */
const unsupportedProperties = ['frequency_penalty', 'presence_penalty', 'logprobs', 'logit_bias', 'stream_options'];

/** Where the recorded fixtures live, from the source tree or from the compiled dist/ tree. */
function fixturesFolder(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'fixtures', 'groq'), path.resolve(here, '..', '..', '..', 'test', 'fakes', 'fixtures', 'groq')];
  return candidates.find((candidate) => existsSync(candidate)) ?? (candidates[0] as string);
}

const fixtureCache = new Map<string, string>();

/** Reads a fixture file (cached). */
export function readGroqFixture(fileName: string): string {
  let text = fixtureCache.get(fileName);
  if (text === undefined) {
    text = readFileSync(path.join(fixturesFolder(), fileName), 'utf8');
    fixtureCache.set(fileName, text);
  }
  return text;
}

function hasFixture(fileName: string): boolean {
  return existsSync(path.join(fixturesFolder(), fileName));
}

/** Splits an .sse fixture into its events, each with its terminating blank line. */
function sseEvents(text: string): string[] {
  return text
    .split('\n\n')
    .filter((event) => event.trim() !== '')
    .map((event) => `${event}\n\n`);
}

function lastUserContent(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: unknown; content?: unknown }>) : [];
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (message?.role === 'user' && typeof message.content === 'string') return message.content;
  }
  return '';
}

/** A rough prompt token count: about four characters per token plus a few per message. */
function roughPromptTokens(body: Record<string, unknown>): number {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ content?: unknown }>) : [];
  let tokens = 3;
  for (const message of messages) tokens += 4 + Math.ceil((typeof message.content === 'string' ? message.content.length : 0) / 4);
  return tokens;
}

/** Paced streams share one timer: every tick, each writes all the chunks that are due in one write. */
class Pacer {
  private readonly streams = new Set<PacedStream>();
  private timer: NodeJS.Timeout | undefined;

  add(stream: PacedStream): void {
    this.streams.add(stream);
    this.timer ??= setInterval(() => this.tick(), 4);
  }

  remove(stream: PacedStream): void {
    this.streams.delete(stream);
    if (this.streams.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const now = performance.now();
    for (const stream of this.streams) {
      if (stream.response.destroyed) {
        this.remove(stream);
        continue;
      }
      const due = Math.min(stream.frames.count, Math.floor(((now - stream.startedAt) * stream.tokensPerSecond) / 1000) + 1);
      if (due > stream.sent) {
        stream.response.write(stream.frames.render(stream.sent, due));
        stream.wrote?.(stream.sent, due);
        stream.sent = due;
      }
      if (stream.sent === stream.frames.count) {
        this.remove(stream);
        stream.done();
      }
    }
  }

  stop(): void {
    this.streams.clear();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * A stream's frames, rendered when they are written: built all at once, fifty streams' frames live
 * through several collections and their copying stalled the fake (and the benchmark sending events).
 */
interface FrameSource {
  count: number;
  /** Frames [from, to) as one string. */
  render(from: number, to: number): string;
}

function framesOf(events: string[]): FrameSource {
  return { count: events.length, render: (from, to) => events.slice(from, to).join('') };
}

interface PacedStream {
  response: ServerResponse;
  frames: FrameSource;
  sent: number;
  startedAt: number;
  tokensPerSecond: number;
  done(): void;
  /** Told after each write which frames [from, to) it carried. */
  wrote?(from: number, to: number): void;
}

/** Starts the fake on 127.0.0.1 (ephemeral port unless told). */
export async function startFakeGroq(options: { apiKey?: string; models?: string[]; host?: string; port?: number } = {}): Promise<FakeGroq> {
  const apiKey = options.apiKey ?? fakeGroqDefaults.apiKey;
  const models = new Set(options.models ?? fakeGroqDefaults.models);
  const host = options.host ?? '127.0.0.1';
  const requests: RecordedRequest[] = [];
  const queue: FakeGroqBehaviour[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();
  const pacer = new Pacer();
  let sequence = 0;
  let fallback = (request: RecordedRequest): FakeGroqBehaviour => ({ kind: 'text', text: `You said: ${lastUserContent(request.body)}` });

  const later = (ms: number, action: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };

  const sendJson = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', ...headers, 'content-length': Buffer.byteLength(text) });
    response.end(text);
  };

  const streamHeaders = (identity: StreamIdentity, promptTokens: number, extra: Record<string, string> = {}): Record<string, string> => ({
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-request-id': identity.requestId,
    'x-ratelimit-limit-requests': '1000',
    'x-ratelimit-remaining-requests': '999',
    'x-ratelimit-reset-requests': '1m26.4s',
    'x-ratelimit-limit-tokens': '8000',
    'x-ratelimit-remaining-tokens': String(Math.max(0, 8000 - promptTokens)),
    'x-ratelimit-reset-tokens': '7.66s',
    ...extra,
  });

  /** Writes frames now, or paced per tick; `then` runs once they are all written; `wrote` hears of each write. */
  const writeFrames = (
    response: ServerResponse,
    frames: FrameSource,
    tokensPerSecond: number | undefined,
    then: () => void,
    wrote?: (from: number, to: number) => void,
  ): void => {
    if (tokensPerSecond === undefined || tokensPerSecond <= 0 || frames.count === 0) {
      if (frames.count > 0) {
        response.write(frames.render(0, frames.count));
        wrote?.(0, frames.count);
      }
      then();
      return;
    }
    pacer.add({ response, frames, sent: 0, startedAt: performance.now(), tokensPerSecond, done: then, wrote });
  };

  const playText = (behaviour: Extract<FakeGroqBehaviour, { kind: 'text' }>, request: RecordedRequest, response: ServerResponse): void => {
    const identity = newStreamIdentity(String(request.body.model ?? 'openai/gpt-oss-120b'), (sequence += 1));
    const promptTokens = behaviour.usage?.prompt_tokens ?? roughPromptTokens(request.body);
    const reasoning = behaviour.reasoning === undefined ? [] : tokenize(behaviour.reasoning);
    const content = behaviour.chunks ?? tokenize(behaviour.text);
    const frames: FrameSource = {
      count: reasoning.length + content.length,
      render(from, to) {
        let text = '';
        for (let index = from; index < to; index += 1) {
          text += index < reasoning.length ? reasoningFrame(identity, reasoning[index]!) : contentFrame(identity, content[index - reasoning.length]!);
        }
        return text;
      },
    };
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: behaviour.usage?.completion_tokens ?? frames.count,
      reasoning_tokens: reasoning.length > 0 ? reasoning.length : undefined,
    };
    request.contentText = content.join('');
    const firstContent = reasoning.length;
    const noteContent = (from: number, to: number): void => {
      if (content.length === 0) return;
      const at = preciseNow();
      if (from <= firstContent && to > firstContent) request.firstContentAt = at;
      if (to === frames.count) request.lastContentAt = at;
    };
    const start = (): void => {
      if (response.destroyed) return;
      response.writeHead(200, streamHeaders(identity, promptTokens, behaviour.headers));
      response.write(roleFrame(identity));
      writeFrames(
        response,
        frames,
        behaviour.tokensPerSecond,
        () => {
          if (!response.destroyed) response.end(finishFrame(identity, behaviour.finishReason ?? 'stop', usage, behaviour.usageOnlyInXGroq) + doneFrame);
        },
        noteContent,
      );
    };
    if (behaviour.firstByteDelayMs !== undefined && behaviour.firstByteDelayMs > 0) later(behaviour.firstByteDelayMs, start);
    else start();
  };

  const playFixture = (behaviour: Extract<FakeGroqBehaviour, { kind: 'fixture' }>, request: RecordedRequest, response: ServerResponse): void => {
    if (hasFixture(`${behaviour.name}.sse`)) {
      const events = sseEvents(readGroqFixture(`${behaviour.name}.sse`));
      const identity = newStreamIdentity(String(request.body.model ?? ''), (sequence += 1));
      const requestId = /"x_groq":\{"id":"([^"]+)"/.exec(events[0] ?? '')?.[1] ?? identity.requestId;
      response.writeHead(200, streamHeaders({ ...identity, requestId }, roughPromptTokens(request.body)));
      writeFrames(response, framesOf(events), behaviour.tokensPerSecond, () => {
        if (!response.destroyed) response.end();
      });
      return;
    }
    const meta = JSON.parse(readGroqFixture(`${behaviour.name}.headers.json`)) as { status: number; headers: Record<string, string> };
    sendJson(response, meta.status, readGroqFixture(`${behaviour.name}.json`), meta.headers);
  };

  /** Role frame plus the first `afterChunks` content chunks, written at once; `then` runs when flushed. */
  const playPartial = (text: string, afterChunks: number, request: RecordedRequest, response: ServerResponse, then: () => void): void => {
    const identity = newStreamIdentity(String(request.body.model ?? ''), (sequence += 1));
    const pieces = tokenize(text).slice(0, Math.max(0, afterChunks));
    response.writeHead(200, streamHeaders(identity, roughPromptTokens(request.body)));
    response.write(roleFrame(identity) + pieces.map((piece) => contentFrame(identity, piece)).join(''), () => then());
  };

  const play = (behaviour: FakeGroqBehaviour, request: RecordedRequest, response: ServerResponse): void => {
    switch (behaviour.kind) {
      case 'text':
        playText(behaviour, request, response);
        return;
      case 'fixture':
        playFixture(behaviour, request, response);
        return;
      case 'http-error': {
        const headers = { 'x-request-id': newStreamIdentity('', (sequence += 1)).requestId, ...behaviour.headers };
        sendJson(response, behaviour.status, behaviour.body, headers);
        return;
      }
      case 'cut':
        playPartial(behaviour.text, behaviour.afterChunks, request, response, () => {
          // Let the bytes leave before the socket goes, so the client sees exactly N chunks.
          setImmediate(() => response.socket?.destroy());
        });
        return;
      case 'error-event': {
        const error: FrameError = behaviour.error ?? { message: 'Service Unavailable', type: 'internal_server_error', status_code: 503 };
        playPartial(behaviour.text, behaviour.afterChunks, request, response, () => {
          if (!response.destroyed) response.end(errorEventFrame(error));
        });
        return;
      }
      case 'stall':
        playPartial(behaviour.text, behaviour.afterChunks, request, response, () => undefined);
        return;
    }
  };

  const refuse = (request: RecordedRequest, response: ServerResponse): boolean => {
    if (request.method !== 'POST' || request.path !== completionsPath) {
      sendJson(response, 404, { error: { message: `Unknown request URL: ${request.method} ${request.path}`, type: 'invalid_request_error', code: 'unknown_url' } });
      return true;
    }
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      sendJson(response, 401, readGroqFixture('invalid-key-401.json'));
      return true;
    }
    const model = request.body.model;
    if (typeof model !== 'string' || !models.has(model)) {
      const body = JSON.parse(readGroqFixture('model-not-found-404.json')) as { error: { message: string } };
      body.error.message = `The model \`${String(model)}\` does not exist or you do not have access to it.`;
      sendJson(response, 404, body);
      return true;
    }
    const unsupported = unsupportedProperties.find((property) => property in request.body);
    const messages = Array.isArray(request.body.messages) ? (request.body.messages as Array<Record<string, unknown>>) : [];
    const problem =
      unsupported !== undefined
        ? `property '${unsupported}' is unsupported`
        : request.body.n !== undefined && request.body.n !== 1
          ? "'n' : number must be at most 1"
          : messages.some((message) => 'name' in message)
            ? "'messages.0' : property 'name' is unsupported"
            : undefined;
    if (problem !== undefined) {
      sendJson(response, 400, { error: { message: problem, type: 'invalid_request_error' } });
      return true;
    }
    return false;
  };

  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const parts: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => parts.push(chunk));
    incoming.on('end', () => {
      const rawBody = Buffer.concat(parts).toString('utf8');
      let body: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(rawBody);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      } catch {
        // Recorded as {} as documented; the request is still answered.
      }
      let markClosed: () => void = () => undefined;
      const request: RecordedRequest = {
        method: incoming.method ?? '',
        path: (incoming.url ?? '').split('?')[0] ?? '',
        headers: incoming.headers,
        body,
        rawBody,
        receivedAt: Date.now(),
        arrivedAt: preciseNow(),
        remotePort: incoming.socket.remotePort,
        closed: new Promise<void>((resolve) => {
          markClosed = resolve;
        }),
      };
      response.on('close', () => {
        if (!response.writableFinished) request.abortedAt = Date.now();
        markClosed();
      });
      requests.push(request);
      for (const wake of waiters) wake();
      if (refuse(request, response)) return;
      play(queue.shift() ?? fallback(request), request, response);
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://${host}:${port}/openai/v1`,
    requests,
    get openConnections(): number {
      return sockets.size;
    },
    enqueue(...behaviours: FakeGroqBehaviour[]): void {
      queue.push(...behaviours);
    },
    setFallback(respond: (request: RecordedRequest) => FakeGroqBehaviour): void {
      fallback = respond;
    },
    waitForRequests(count: number, timeoutMs = 5000): Promise<RecordedRequest[]> {
      if (requests.length >= count) return Promise.resolve(requests.slice(0, count));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fake Groq: expected ${count} requests, got ${requests.length} within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (): void => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(requests.slice(0, count));
        };
        waiters.add(check);
      });
    },
    async close(): Promise<void> {
      pacer.stop();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
