import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage as HttpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { WebSocketServer, type WebSocket } from 'ws';
import { preciseNow } from './precise-clock.js';

export { deliverCommand, deliverEvent, signSlackRequest, type Delivery, type DeliveryOptions } from './slack-signer.js';

/** The identity the fake's `auth.test` reports. */
export const fakeSlackIds = {
  teamId: 'T0A1B2C3D4',
  botUserId: 'U0BOTB0T01',
  botId: 'B0BOTB0T01',
  appId: 'A0APP00001',
  botToken: 'xoxb-0000000000-fake-slack-bot-token',
  appToken: 'xapp-1-A0APP00001-fake-slack-app-token',
  signingSecret: 'fake-slack-signing-secret-0123456789',
} as const;

/** One Web API call the fake answered. */
export interface RecordedSlackCall {
  /** Web API method, e.g. `chat.update`. */
  method: string;
  body: Record<string, unknown>;
  /** The bearer token the call carried. */
  token: string | undefined;
  /** HTTP status of the answer (429 for a rate-limited call). */
  status: number;
  /** `error` of an `ok:false` answer. */
  error?: string;
  at: number;
}

/** A message the bot posted, as the fake stores it. */
export interface FakeSlackMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  /** `text` of the markdown block, when the message has one. */
  markdown?: string;
  /** Every `text` the message had, creation first. */
  history: string[];
  /** Every markdown block text the message had, creation first. */
  markdownHistory: Array<string | undefined>;
  /** When each version was stored (`preciseNow()`), parallel to `history` (benchmarks). */
  historyAt: number[];
}

/** A POST to a `response_url`. */
export interface FakeResponsePost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

/** A forced failure for the next call(s) of a method. */
export interface ForcedSlackError {
  /** `ok:false` with this error (HTTP 200), e.g. `channel_not_found`. */
  error?: string;
  /** An HTTP status instead (429 carries `Retry-After`, 5xx an empty failure). */
  status?: number;
  /** Seconds in `Retry-After` for a 429; default 1. */
  retryAfterSeconds?: number;
  /** Holds the answer this long (to provoke client timeouts). */
  delayMs?: number;
}

/** One Socket Mode acknowledgement the app sent. */
export interface FakeSocketAck {
  envelopeId: string;
  payload: unknown;
  at: number;
}

/** Options of the fake. */
export interface FakeSlackOptions {
  /**
   * Per-workspace `chat.update` budget; `false` turns it off. Default: burst 20, 50 per minute,
   * tolerating arrivals a quarter token early (network jitter).
   */
  updateBudget?: { burst: number; perMinute: number; toleranceTokens?: number } | false;
  /** `msg_too_long` above this many characters of `text`; default 4,000. */
  maxTextLength?: number;
  /** The bot token `auth.test` and message calls accept; default `fakeSlackIds.botToken`. */
  botToken?: string;
}

/** A local fake of Slack's Web API, `response_url`s and Socket Mode, on 127.0.0.1. */
export interface FakeSlack {
  /** Base of the Web API, for SLACK_API_URL (ends with `/api/`). */
  readonly apiUrl: string;
  /** Every Web API call in order. */
  readonly calls: RecordedSlackCall[];
  /** Every message the bot posted, by `channel:ts`. */
  readonly messages: Map<string, FakeSlackMessage>;
  /** Every `response_url` post. */
  readonly responses: FakeResponsePost[];
  /** Every Socket Mode acknowledgement. */
  readonly acks: FakeSocketAck[];
  /** Number of 429s answered. */
  readonly rateLimitedCount: number;
  /** A fresh `response_url` on the fake; its posts land in `responses` under `id`. */
  responseUrl(id?: string): string;
  /** Calls of one method. */
  callsTo(method: string): RecordedSlackCall[];
  /** Messages the bot posted in a channel (optionally in one thread), oldest first. */
  messagesIn(channel: string, threadTs?: string): FakeSlackMessage[];
  /** Makes the next `times` calls of `method` fail. */
  failNext(method: string, failure: ForcedSlackError, times?: number): void;
  /** Answers every `assistant.threads.setStatus` with this error (or `undefined` for ok). */
  setStatusError(error: string | undefined): void;
  /** Sends an Events API envelope over the Socket Mode connection; returns the envelope id. */
  pushEvent(body: Record<string, unknown>, options?: { retryAttempt?: number }): string;
  /** Sends a slash command over the Socket Mode connection; returns the envelope id. */
  pushCommand(payload: Record<string, string>): string;
  /** Drops the Socket Mode connection from the server side (the client should reconnect). */
  dropSocket(): void;
  /** Whether a Socket Mode client is connected. */
  readonly socketConnected: boolean;
  /** Polls until `predicate` holds (or throws after `timeoutMs`). */
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

const apiPrefix = '/api/';
const responsePrefix = '/response/';
const socketPath = '/socket';
const markdownLimit = 12_000;

/** Reads a Web API body: form-encoded (nested values JSON-encoded, as @slack/web-api sends them) or JSON. */
function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw === '') return {};
  if ((contentType ?? '').includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const form = parseQuery(raw);
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(form)) {
    const text = Array.isArray(value) ? value[0] : value;
    if (text === undefined) continue;
    body[key] = (key === 'blocks' || key === 'attachments' || key === 'metadata') && /^[[{]/.test(text) ? JSON.parse(text) : text;
  }
  return body;
}

function markdownOf(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return undefined;
  const texts = blocks
    .filter((block): block is { type: string; text: string } => typeof block === 'object' && block !== null && (block as { type?: unknown }).type === 'markdown')
    .map((block) => block.text);
  return texts.length === 0 ? undefined : texts.join('');
}

function readBody(request: HttpRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Token bucket for `chat.update`, per workspace: a client that respects the same budget never sees a 429. */
class UpdateBudget {
  private tokens: number;
  private updatedAt = Date.now();

  constructor(
    private readonly burst: number,
    private readonly perMinute: number,
    private readonly toleranceTokens: number,
  ) {
    this.tokens = burst;
  }

  /** Takes a token, or returns the whole seconds to wait. */
  take(now = Date.now()): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const perMs = this.perMinute / 60_000;
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) * perMs);
    this.updatedAt = now;
    // The client decides when it sends, we count when the call arrives: a burst's first calls open
    // fresh connections and arrive later than the next ones, which shifts our refill behind the
    // client's by up to ~100 ms. A quarter token (300 ms at 50/min) absorbs that jitter; a client
    // ignoring the budget is still refused within a call or two.
    if (this.tokens >= 1 - this.toleranceTokens) {
      this.tokens = Math.max(0, this.tokens - 1);
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / perMs / 1000)) };
  }
}

/** Starts the fake on an ephemeral port of 127.0.0.1. */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? fakeSlackIds.botToken;
  const maxTextLength = options.maxTextLength ?? 4_000;
  const budgetOptions = options.updateBudget === undefined ? { burst: 20, perMinute: 50 } : options.updateBudget;
  const budgets = new Map<string, UpdateBudget>();
  const calls: RecordedSlackCall[] = [];
  const messages = new Map<string, FakeSlackMessage>();
  const responses: FakeResponsePost[] = [];
  const acks: FakeSocketAck[] = [];
  const forced = new Map<string, ForcedSlackError[]>();
  let statusError: string | undefined;
  let rateLimitedCount = 0;
  let tsCounter = 0;
  let socket: WebSocket | undefined;

  const nextTs = () => {
    tsCounter += 1;
    return `${1764080000 + Math.floor(tsCounter / 1000)}.${String(tsCounter % 1000).padStart(3, '0')}100`;
  };

  const reply = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(JSON.stringify(body));
  };

  const handleApi = async (method: string, request: HttpRequest, response: ServerResponse) => {
    const body = parseBody(await readBody(request), request.headers['content-type']);
    const authorization = request.headers.authorization;
    const token = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : (body.token as string | undefined);
    const record: RecordedSlackCall = { method, body, token, status: 200, at: Date.now() };
    calls.push(record);
    const fail = (error: string, extra: Record<string, unknown> = {}) => {
      record.error = error;
      reply(response, 200, { ok: false, error, ...extra });
    };

    const queue = forced.get(method);
    const failure = queue?.shift();
    if (failure) {
      if (failure.delayMs) await new Promise((resolve) => setTimeout(resolve, failure.delayMs));
      if (failure.status === 429) {
        rateLimitedCount += 1;
        record.status = 429;
        record.error = 'ratelimited';
        reply(response, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfterSeconds ?? 1) });
        return;
      }
      if (failure.status !== undefined) {
        record.status = failure.status;
        response.writeHead(failure.status);
        response.end();
        return;
      }
      if (failure.error !== undefined) return fail(failure.error);
    }

    if (method === 'apps.connections.open') {
      if (!token?.startsWith('xapp-')) return fail('not_allowed_token_type');
      const address = server.address() as AddressInfo;
      reply(response, 200, { ok: true, url: `ws://127.0.0.1:${address.port}${socketPath}` });
      return;
    }
    if (token !== botToken) return fail(token === undefined ? 'not_authed' : 'invalid_auth');

    switch (method) {
      case 'auth.test':
        reply(response, 200, {
          ok: true,
          url: 'https://acme.slack.com/',
          team: 'Acme',
          user: 'groqbot',
          team_id: fakeSlackIds.teamId,
          user_id: fakeSlackIds.botUserId,
          bot_id: fakeSlackIds.botId,
          is_enterprise_install: false,
        });
        return;
      case 'chat.postMessage': {
        const channel = String(body.channel ?? '');
        if (channel === '') return fail('channel_not_found');
        const text = typeof body.text === 'string' ? body.text : '';
        const markdown = markdownOf(body.blocks);
        if (text === '' && body.blocks === undefined) return fail('no_text');
        if (text.length > maxTextLength) return fail('msg_too_long');
        if (markdown !== undefined && markdown.length > markdownLimit) return fail('invalid_blocks');
        const ts = nextTs();
        const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
        messages.set(`${channel}:${ts}`, { channel, ts, threadTs, text, markdown, history: [text], markdownHistory: [markdown], historyAt: [preciseNow()] });
        reply(response, 200, { ok: true, channel, ts, message: { type: 'message', text, user: fakeSlackIds.botUserId, bot_id: fakeSlackIds.botId, ts, thread_ts: threadTs } });
        return;
      }
      case 'chat.update': {
        if (budgetOptions !== false) {
          let budget = budgets.get(fakeSlackIds.teamId);
          if (!budget) {
            budget = new UpdateBudget(budgetOptions.burst, budgetOptions.perMinute, budgetOptions.toleranceTokens ?? 0.25);
            budgets.set(fakeSlackIds.teamId, budget);
          }
          const decision = budget.take();
          if (!decision.allowed) {
            rateLimitedCount += 1;
            record.status = 429;
            record.error = 'ratelimited';
            reply(response, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(decision.retryAfterSeconds) });
            return;
          }
        }
        const channel = String(body.channel ?? '');
        const ts = String(body.ts ?? '');
        const message = messages.get(`${channel}:${ts}`);
        if (!message) return fail('message_not_found');
        const text = typeof body.text === 'string' ? body.text : '';
        const markdown = markdownOf(body.blocks);
        if (text.length > maxTextLength) return fail('msg_too_long');
        if (markdown !== undefined && markdown.length > markdownLimit) return fail('invalid_blocks');
        message.text = text;
        message.markdown = markdown;
        message.history.push(text);
        message.markdownHistory.push(markdown);
        message.historyAt.push(preciseNow());
        reply(response, 200, { ok: true, channel, ts, text });
        return;
      }
      case 'chat.postEphemeral':
        if (typeof body.channel !== 'string' || typeof body.user !== 'string') return fail('invalid_arguments');
        reply(response, 200, { ok: true, message_ts: nextTs() });
        return;
      case 'assistant.threads.setStatus':
        if (statusError !== undefined) return fail(statusError);
        if (typeof body.channel_id !== 'string' || typeof body.thread_ts !== 'string') return fail('invalid_arguments');
        reply(response, 200, { ok: true });
        return;
      default:
        fail('unknown_method');
    }
  };

  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method === 'POST' && path.startsWith(apiPrefix)) {
      handleApi(path.slice(apiPrefix.length), request, response).catch((error: unknown) => {
        reply(response, 500, { ok: false, error: 'fake_failed', detail: String(error) });
      });
      return;
    }
    if (request.method === 'POST' && path.startsWith(responsePrefix)) {
      readBody(request)
        .then((raw) => {
          responses.push({ id: decodeURIComponent(path.slice(responsePrefix.length)), body: parseBody(raw, request.headers['content-type']), at: Date.now() });
          reply(response, 200, { ok: true });
        })
        .catch(() => reply(response, 400, { ok: false }));
      return;
    }
    reply(response, 404, { ok: false, error: 'not_found' });
  });

  const sockets = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, stream, head) => {
    if ((request.url ?? '').split('?')[0] !== socketPath) {
      stream.destroy();
      return;
    }
    sockets.handleUpgrade(request, stream, head, (webSocket) => {
      socket = webSocket;
      webSocket.on('message', (data) => {
        try {
          const parsed = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
          if (typeof parsed.envelope_id === 'string') acks.push({ envelopeId: parsed.envelope_id, payload: parsed.payload, at: Date.now() });
        } catch {
          // Not JSON: ignore, as Slack would.
        }
      });
      webSocket.on('close', () => {
        if (socket === webSocket) socket = undefined;
      });
      webSocket.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake-slack', approximate_connection_time: 3600 }, connection_info: { app_id: fakeSlackIds.appId } }));
    });
  });

  const send = (envelope: Record<string, unknown>) => {
    if (!socket) throw new Error('no Socket Mode client is connected');
    socket.send(JSON.stringify(envelope));
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    apiUrl: `http://127.0.0.1:${port}${apiPrefix}`,
    calls,
    messages,
    responses,
    acks,
    get rateLimitedCount() {
      return rateLimitedCount;
    },
    get socketConnected() {
      return socket !== undefined;
    },
    responseUrl: (id = randomUUID()) => `http://127.0.0.1:${port}${responsePrefix}${encodeURIComponent(id)}`,
    callsTo: (method) => calls.filter((call) => call.method === method),
    messagesIn: (channel, threadTs) =>
      [...messages.values()].filter((message) => message.channel === channel && (threadTs === undefined || message.threadTs === threadTs)),
    failNext: (method, failure, times = 1) => {
      const queue = forced.get(method) ?? [];
      for (let index = 0; index < times; index += 1) queue.push(failure);
      forced.set(method, queue);
    },
    setStatusError: (error) => {
      statusError = error;
    },
    pushEvent: (body, pushOptions = {}) => {
      const envelopeId = randomUUID();
      send({
        envelope_id: envelopeId,
        type: 'events_api',
        payload: body,
        accepts_response_payload: false,
        retry_attempt: pushOptions.retryAttempt ?? 0,
        retry_reason: pushOptions.retryAttempt ? 'timeout' : '',
      });
      return envelopeId;
    },
    dropSocket: () => {
      socket?.terminate();
      socket = undefined;
    },
    pushCommand: (payload) => {
      const envelopeId = randomUUID();
      send({ envelope_id: envelopeId, type: 'slash_commands', payload, accepts_response_payload: true });
      return envelopeId;
    },
    waitFor: async (predicate, timeoutMs = 10_000, what = 'condition') => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`fake Slack: timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
