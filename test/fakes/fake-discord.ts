import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage as HttpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChannelRateLimiter } from './discord-rate-limiter.js';
import {
  channelPayload,
  defaultChannels,
  fakeIds,
  fakePermissions,
  fakeUsers,
  guildCreatePayload,
  memberPayload,
  nextSnowflake,
  readyPayload,
  userPayload,
  type FakeChannel,
  type FakeUser,
} from './discord-payloads.js';
import { preciseNow } from './precise-clock.js';

export { fakeIds, fakePermissions, fakeUsers, nextSnowflake, type FakeUser } from './discord-payloads.js';

/** One REST call the fake answered. */
export interface RecordedCall {
  method: string;
  /** Decoded path after `/api/v10`, e.g. `/channels/1/messages`. */
  path: string;
  body: unknown;
  status: number;
  at: number;
}

/** A message as the fake stores it (user and bot messages alike). */
export interface FakeMessage {
  id: string;
  channelId: string;
  guildId?: string;
  author: FakeUser;
  content: string;
  /** Every content the message had, creation first. */
  history: string[];
  /** When each version was stored (`preciseNow()`), parallel to `history` (benchmarks). */
  historyAt: number[];
  /** `allowed_mentions` of each create/edit call that produced a version. */
  allowedMentions: unknown[];
  referenceId?: string;
  flags: number;
  /** For interaction responses: the interaction's id. */
  interactionId?: string;
  webhookId?: string;
  createdAt: number;
}

/** A slash-command invocation sent through the fake gateway. */
export interface FakeInteraction {
  id: string;
  token: string;
  channelId: string;
  sentAt: number;
  /** Body of the callback (defer/reply), and when it arrived. */
  callback?: { body: Record<string, unknown>; at: number };
  originalMessageId?: string;
  followUpIds: string[];
  expired: boolean;
}

/** Options of the fake. */
export interface FakeDiscordOptions {
  /** The bot token the client must present. */
  token?: string;
  /** Message creates/edits per channel per window (default 5 per 5,000 ms). */
  rateLimit?: { limit: number; windowMs: number };
  /** Gateway heartbeat interval sent in HELLO. */
  heartbeatIntervalMs?: number;
  /** More text channels in the guild, besides the default ones (benchmarks spreading load). */
  extraChannels?: Array<{ id: string; name: string }>;
}

/** Options for a user message pushed through the gateway. */
export interface SendMessageOptions {
  channelId?: string;
  content: string;
  author?: FakeUser;
  /** Reply to this message; `ping` (Discord's default: true) adds its author to `mentions`. */
  replyTo?: string;
  ping?: boolean;
  /** A direct message: `channelId` must be a DM channel. */
  dm?: boolean;
  webhookId?: string;
  /** Message type (0 default, 19 reply, 7 member join, …). */
  type?: number;
}

/** Options for a slash command pushed through the gateway. */
export interface SendInteractionOptions {
  name: string;
  options?: Array<Record<string, unknown>>;
  user?: FakeUser;
  channelId?: string;
  dm?: boolean;
  /** Member permissions (decimal bit string); default: with Manage Channels. */
  permissions?: string;
}

const messageRoute = /^\/channels\/(\d+)\/messages(?:\/(\d+))?$/;
const threadFromMessageRoute = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/;
const typingRoute = /^\/channels\/(\d+)\/typing$/;
const channelRoute = /^\/channels\/(\d+)$/;
const callbackRoute = /^\/interactions\/(\d+)\/([^/]+)\/callback$/;
const webhookRoute = /^\/webhooks\/(\d+)\/([^/]+)$/;
const webhookMessageRoute = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/;
const globalCommandsRoute = /^\/applications\/(\d+)\/commands$/;
const guildCommandsRoute = /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/;

const maxContentLength = 2_000;
const ephemeralFlag = 64;
const loadingFlag = 128;

/**
 * A local Discord: REST under `/api/v10` and a JSON gateway on the same port, enough for the real
 * discord.js client to log in, receive messages and slash commands, and send, edit and register.
 */
export class FakeDiscord {
  /** The bot token the fake accepts. */
  readonly token: string;
  /** Every REST call, in arrival order. */
  readonly calls: RecordedCall[] = [];
  /** Every message by id. */
  readonly messages = new Map<string, FakeMessage>();
  /** Every interaction by id. */
  readonly interactions = new Map<string, FakeInteraction>();
  /** Registered commands: `global` and one entry per guild id. */
  readonly commands = new Map<string, Array<Record<string, unknown>>>();
  /** Number of IDENTIFY frames received (one per fresh login). */
  identifyCount = 0;
  /** Number of RESUME frames received. */
  resumeCount = 0;

  private readonly server: Server;
  private readonly gateway: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly sessions = new Map<WebSocket, { sequence: number; ready: boolean }>();
  private readonly channels = new Map<string, FakeChannel>();
  private readonly rateLimiter: ChannelRateLimiter;
  private forcedRateLimits: Array<{ channelId?: string; retryAfterSeconds: number }> = [];
  private readonly heartbeatIntervalMs: number;
  private port = 0;

  private constructor(options: FakeDiscordOptions) {
    this.token = options.token ?? 'fake-discord-bot-token.0123456789.abcdefghijklmnopqrstuvwxyz';
    const rateLimit = options.rateLimit ?? { limit: 5, windowMs: 5_000 };
    this.rateLimiter = new ChannelRateLimiter(rateLimit.limit, rateLimit.windowMs);
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
    for (const channel of defaultChannels()) this.channels.set(channel.id, channel);
    for (const channel of options.extraChannels ?? []) this.channels.set(channel.id, { id: channel.id, type: 0, name: channel.name });
    this.server = createServer((request, response) => {
      this.handleHttp(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.json(response, 500, { message: String(error), code: 0 });
      });
    });
    this.gateway = new WebSocketServer({ server: this.server });
    this.gateway.on('connection', (socket) => this.onGatewayConnection(socket));
  }

  /** Starts the fake on 127.0.0.1 with an ephemeral port. */
  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** The bot's user id (also its application id). */
  readonly botUserId: string = fakeUsers.bot.id;

  /** The value for DISCORD_API_URL (discord.js appends `/v10`). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** The gateway URL handed out by `GET /gateway/bot`. */
  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Number of gateway connections that completed IDENTIFY or RESUME. */
  get readyConnections(): number {
    return [...this.sessions.values()].filter((session) => session.ready).length;
  }

  // ---- pushing events -------------------------------------------------------------------------

  /** Sends a gateway dispatch to every ready connection. */
  dispatch(type: string, data: unknown): void {
    for (const [socket, session] of this.sessions) {
      if (!session.ready) continue;
      session.sequence += 1;
      socket.send(JSON.stringify({ op: 0, t: type, s: session.sequence, d: data }));
    }
  }

  /** A user posts a message: stored, then dispatched as MESSAGE_CREATE. Returns its id. */
  sendMessage(options: SendMessageOptions): string {
    const author = options.author ?? fakeUsers.ada;
    const channelId = options.channelId ?? (options.dm ? fakeIds.adaDm : fakeIds.general);
    const replied = options.replyTo === undefined ? undefined : this.messages.get(options.replyTo);
    const message: FakeMessage = {
      id: nextSnowflake(),
      channelId,
      guildId: options.dm ? undefined : fakeIds.guild,
      author,
      content: options.content,
      history: [options.content],
      historyAt: [preciseNow()],
      allowedMentions: [],
      referenceId: options.replyTo,
      flags: 0,
      webhookId: options.webhookId,
      createdAt: Date.now(),
    };
    this.messages.set(message.id, message);
    const mentioned = new Set<string>();
    for (const match of options.content.matchAll(/<@!?(\d+)>/g)) mentioned.add(match[1]!);
    if (replied && options.ping !== false) mentioned.add(replied.author.id);
    const known = [fakeUsers.bot, fakeUsers.ada, fakeUsers.bob, fakeUsers.otherBot];
    const mentions = [...mentioned]
      .map((id) => known.find((user) => user.id === id))
      .filter((user): user is FakeUser => user !== undefined)
      .map((user) => ({ ...userPayload(user), ...(options.dm ? {} : { member: memberPayload() }) }));
    const payload: Record<string, unknown> = {
      ...this.messagePayload(message),
      mention_everyone: /@(everyone|here)\b/.test(options.content),
      mentions,
      mention_roles: [...options.content.matchAll(/<@&(\d+)>/g)].map((match) => match[1]),
      type: options.type ?? (replied || options.replyTo ? 19 : 0),
      nonce: nextSnowflake(),
      ...(options.webhookId ? { webhook_id: options.webhookId } : {}),
      ...(options.dm ? { channel_type: 1 } : { guild_id: fakeIds.guild, member: memberPayload() }),
    };
    if (options.replyTo !== undefined) {
      payload.message_reference = {
        type: 0,
        message_id: options.replyTo,
        channel_id: channelId,
        ...(options.dm ? {} : { guild_id: fakeIds.guild }),
      };
      payload.referenced_message = replied ? this.messagePayload(replied) : null;
    }
    this.dispatch('MESSAGE_CREATE', payload);
    return message.id;
  }

  /** A user runs a slash command: dispatched as INTERACTION_CREATE. */
  sendInteraction(options: SendInteractionOptions): FakeInteraction {
    const user = options.user ?? fakeUsers.ada;
    const channelId = options.channelId ?? (options.dm ? fakeIds.adaDm : fakeIds.general);
    const interaction: FakeInteraction = {
      id: nextSnowflake(),
      token: `aW50ZXJhY3Rpb24${randomBytes(24).toString('base64url')}`,
      channelId,
      sentAt: Date.now(),
      followUpIds: [],
      expired: false,
    };
    this.interactions.set(interaction.id, interaction);
    const channel = this.channels.get(channelId);
    const data: Record<string, unknown> = {
      id: interaction.id,
      application_id: fakeIds.application,
      type: 2,
      token: interaction.token,
      version: 1,
      channel_id: channelId,
      locale: 'en-GB',
      entitlements: [],
      authorizing_integration_owners: { '0': fakeIds.guild },
      data: { id: nextSnowflake(), name: options.name, type: 1, options: options.options ?? [] },
    };
    if (options.dm) {
      Object.assign(data, {
        channel: { id: channelId, type: 1, last_message_id: null, flags: 0, recipients: [userPayload(user)] },
        user: userPayload(user),
        app_permissions: '562949953601536',
        context: 1,
      });
    } else {
      Object.assign(data, {
        guild_id: fakeIds.guild,
        channel: channel ? channelPayload(channel, fakeIds.guild) : { id: channelId, type: 0, guild_id: fakeIds.guild, name: 'unknown' },
        member: { ...memberPayload(), user: userPayload(user), permissions: options.permissions ?? fakePermissions.withManageChannels },
        guild_locale: 'en-US',
        app_permissions: fakePermissions.withManageChannels,
        context: 0,
      });
    }
    this.dispatch('INTERACTION_CREATE', data);
    return interaction;
  }

  /** Makes the next `count` message creates/edits (in `channelId`, or anywhere) answer 429. */
  forceRateLimit(options: { channelId?: string; count?: number; retryAfterSeconds?: number } = {}): void {
    for (let index = 0; index < (options.count ?? 1); index += 1) {
      this.forcedRateLimits.push({ channelId: options.channelId, retryAfterSeconds: options.retryAfterSeconds ?? 0.873 });
    }
  }

  /** Makes an interaction's token invalid, as Discord does after 15 minutes. */
  expireInteraction(interactionId: string): void {
    const interaction = this.interactions.get(interactionId);
    if (interaction) interaction.expired = true;
  }

  /** Closes every gateway connection with `code` (4000: the client resumes). */
  dropGatewayConnections(code = 4000): void {
    for (const socket of this.sockets) socket.close(code, 'fake disconnect');
  }

  // ---- reading state --------------------------------------------------------------------------

  /** Messages the bot created (channel messages and interaction responses), oldest first. */
  botMessages(channelId?: string): FakeMessage[] {
    return [...this.messages.values()]
      .filter((message) => message.author.id === fakeUsers.bot.id)
      .filter((message) => channelId === undefined || message.channelId === channelId)
      .sort((left, right) => (BigInt(left.id) < BigInt(right.id) ? -1 : 1));
  }

  /** Calls whose method and path match. */
  callsTo(method: string, path: RegExp): RecordedCall[] {
    return this.calls.filter((call) => call.method === method && path.test(call.path));
  }

  /** Calls the fake answered with 429. */
  get rateLimitedCalls(): RecordedCall[] {
    return this.calls.filter((call) => call.status === 429);
  }

  /** Polls `check` until it returns something truthy, or fails after `timeoutMs`. */
  async waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`FakeDiscord: timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops the server and terminates every socket. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.gateway.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- gateway --------------------------------------------------------------------------------

  private onGatewayConnection(socket: WebSocket): void {
    this.sockets.add(socket);
    this.sessions.set(socket, { sequence: 0, ready: false });
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.sessions.delete(socket);
    });
    socket.on('message', (raw) => this.onGatewayFrame(socket, String(raw)));
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs }, s: null, t: null }));
  }

  private onGatewayFrame(socket: WebSocket, raw: string): void {
    const frame = JSON.parse(raw) as { op: number; d: Record<string, unknown> | number | null };
    const session = this.sessions.get(socket);
    if (!session) return;
    const send = (type: string, data: unknown) => {
      session.sequence += 1;
      socket.send(JSON.stringify({ op: 0, t: type, s: session.sequence, d: data }));
    };
    switch (frame.op) {
      case 1:
        socket.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
        return;
      case 2: {
        const identify = frame.d as { token?: string };
        if (identify.token !== this.token) {
          socket.close(4004, 'Authentication failed.');
          return;
        }
        this.identifyCount += 1;
        session.ready = true;
        send('READY', readyPayload({ sessionId: randomBytes(16).toString('hex'), resumeUrl: this.gatewayUrl, guildIds: [fakeIds.guild] }));
        send('GUILD_CREATE', guildCreatePayload(fakeIds.guild, [...this.channels.values()]));
        return;
      }
      case 6: {
        const resume = frame.d as { token?: string; seq?: number };
        if (resume.token !== this.token) {
          socket.close(4004, 'Authentication failed.');
          return;
        }
        this.resumeCount += 1;
        session.sequence = resume.seq ?? 0;
        session.ready = true;
        send('RESUMED', {});
        return;
      }
      default:
        return;
    }
  }

  // ---- REST -----------------------------------------------------------------------------------

  private async handleHttp(request: HttpRequest, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text.length > 0 && (request.headers['content-type'] ?? '').includes('json') ? JSON.parse(text) : undefined;
    const prefix = '/api/v10';
    const path = decodeURIComponent(url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname);
    const record = (status: number) => this.calls.push({ method, path, body, status, at: Date.now() });
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record(status);
      if (status === 204) {
        response.writeHead(204, headers).end();
        return;
      }
      this.json(response, status, payload, headers);
    };

    const isWebhook = path.startsWith('/webhooks/') || path.startsWith('/interactions/');
    if (!isWebhook && request.headers.authorization !== `Bot ${this.token}`) {
      reply(401, { message: '401: Unauthorized', code: 0 });
      return;
    }

    if (method === 'GET' && path === '/gateway/bot') {
      reply(200, {
        url: this.gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      });
      return;
    }

    let match = messageRoute.exec(path);
    if (match && (method === 'POST' || method === 'PATCH')) {
      const [, channelId, messageId] = match as unknown as [string, string, string | undefined];
      if (method === 'POST' && messageId !== undefined) return reply(405, { message: '405: Method Not Allowed', code: 0 });
      if (method === 'PATCH' && messageId === undefined) return reply(405, { message: '405: Method Not Allowed', code: 0 });
      const payload = (body ?? {}) as Record<string, unknown>;
      const tooLong = this.contentTooLong(payload);
      if (tooLong) return reply(400, tooLong);
      const forced = this.takeForcedRateLimit(channelId);
      if (forced !== undefined) return reply(429, ...this.rateLimitResponse(channelId, forced));
      const decision = this.rateLimiter.take(channelId);
      if (!decision.allowed) {
        return reply(429, { message: 'You are being rate limited.', retry_after: decision.retryAfterSeconds, global: false }, decision.headers);
      }
      if (method === 'POST') {
        const reference = payload.message_reference as { message_id?: string } | undefined;
        const message = this.createBotMessage(channelId, payload, { referenceId: reference?.message_id });
        return reply(200, this.messagePayload(message), decision.headers);
      }
      const message = this.messages.get(messageId!);
      if (!message || message.channelId !== channelId) return reply(404, { message: 'Unknown Message', code: 10008 });
      if (message.author.id !== fakeUsers.bot.id) return reply(403, { message: 'Cannot edit a message authored by another user', code: 50005 });
      this.editMessage(message, payload);
      return reply(200, this.messagePayload(message), decision.headers);
    }

    match = threadFromMessageRoute.exec(path);
    if (match && method === 'POST') {
      const [, channelId, messageId] = match as unknown as [string, string, string];
      const starter = this.messages.get(messageId);
      if (!starter || starter.channelId !== channelId) return reply(404, { message: 'Unknown Message', code: 10008 });
      const name = String((body as { name?: unknown } | undefined)?.name ?? '');
      if (name.length < 1 || name.length > 100) return reply(400, { message: 'Invalid Form Body', code: 50035, errors: { name: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' }] } } });
      if (this.channels.has(messageId)) return reply(400, { message: 'A thread has already been created for this message', code: 160004 });
      const thread: FakeChannel = { id: messageId, type: 11, name, parentId: channelId };
      this.channels.set(thread.id, thread);
      const payload = { ...channelPayload(thread, fakeIds.guild), owner_id: fakeUsers.bot.id, newly_created: true };
      this.dispatch('THREAD_CREATE', payload);
      return reply(201, payload);
    }

    match = typingRoute.exec(path);
    if (match && method === 'POST') return reply(204, undefined);

    match = channelRoute.exec(path);
    if (match && method === 'GET') {
      const channel = this.channels.get(match[1]!);
      if (!channel) return reply(404, { message: 'Unknown Channel', code: 10003 });
      return reply(200, channelPayload(channel, fakeIds.guild));
    }

    match = callbackRoute.exec(path);
    if (match && method === 'POST') {
      const interaction = this.interactions.get(match[1]!);
      if (!interaction || interaction.token !== match[2]) return reply(404, { message: 'Unknown interaction', code: 10062 });
      if (interaction.callback) return reply(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      if (Date.now() - interaction.sentAt > 3_000) return reply(404, { message: 'Unknown interaction', code: 10062 });
      const payload = (body ?? {}) as { type?: number; data?: Record<string, unknown> };
      interaction.callback = { body: payload as Record<string, unknown>, at: Date.now() };
      const data = payload.data ?? {};
      const flags = Number(data.flags ?? 0);
      if (payload.type === 5 || payload.type === 4) {
        const tooLong = this.contentTooLong(data);
        if (tooLong) return reply(400, tooLong);
        const message = this.createBotMessage(interaction.channelId, payload.type === 5 ? { ...data, content: '' } : data, {
          flags: payload.type === 5 ? flags | loadingFlag : flags,
          interactionId: interaction.id,
        });
        interaction.originalMessageId = message.id;
      }
      return reply(204, undefined);
    }

    match = webhookMessageRoute.exec(path) ?? webhookRoute.exec(path);
    if (match) {
      const [, applicationId, token, messageKey] = match as unknown as [string, string, string, string | undefined];
      const interaction = [...this.interactions.values()].find((candidate) => candidate.token === token);
      if (applicationId !== fakeIds.application || !interaction || interaction.expired) {
        return reply(401, { message: 'Invalid Webhook Token', code: 50027 });
      }
      const payload = (body ?? {}) as Record<string, unknown>;
      if (method === 'POST' && messageKey === undefined) {
        const tooLong = this.contentTooLong(payload);
        if (tooLong) return reply(400, tooLong);
        const message = this.createBotMessage(interaction.channelId, payload, { flags: Number(payload.flags ?? 0), interactionId: interaction.id });
        interaction.followUpIds.push(message.id);
        return reply(200, this.messagePayload(message));
      }
      if (messageKey !== undefined && (method === 'PATCH' || method === 'DELETE' || method === 'GET')) {
        const messageId = messageKey === '@original' ? interaction.originalMessageId : messageKey;
        const message = messageId === undefined ? undefined : this.messages.get(messageId);
        if (!message || message.interactionId !== interaction.id) return reply(404, { message: 'Unknown Message', code: 10008 });
        if (method === 'GET') return reply(200, this.messagePayload(message));
        if (method === 'DELETE') {
          this.messages.delete(message.id);
          if (!(message.flags & ephemeralFlag)) this.dispatch('MESSAGE_DELETE', { id: message.id, channel_id: message.channelId, guild_id: message.guildId });
          return reply(204, undefined);
        }
        const tooLong = this.contentTooLong(payload);
        if (tooLong) return reply(400, tooLong);
        message.flags &= ~loadingFlag;
        this.editMessage(message, payload);
        return reply(200, this.messagePayload(message));
      }
    }

    match = globalCommandsRoute.exec(path) ?? guildCommandsRoute.exec(path);
    if (match) {
      const [, applicationId, guildId] = match as unknown as [string, string, string | undefined];
      if (applicationId !== fakeIds.application) return reply(404, { message: 'Unknown Application', code: 10002 });
      const scope = guildId === undefined ? 'global' : guildId;
      if (method === 'GET') return reply(200, this.commands.get(scope) ?? []);
      if (method === 'PUT') {
        const registered = ((body ?? []) as Array<Record<string, unknown>>).map((command) => this.registeredCommand(command, guildId));
        this.commands.set(scope, registered);
        return reply(200, registered);
      }
    }

    reply(404, { message: '404: Not Found', code: 0 });
  }

  private json(response: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(payload);
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    response.end(text);
  }

  private contentTooLong(payload: Record<string, unknown>): Record<string, unknown> | undefined {
    if (typeof payload.content !== 'string' || payload.content.length <= maxContentLength) return undefined;
    return {
      message: 'Invalid Form Body',
      code: 50035,
      errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } },
    };
  }

  private takeForcedRateLimit(channelId: string): number | undefined {
    const index = this.forcedRateLimits.findIndex((forced) => forced.channelId === undefined || forced.channelId === channelId);
    if (index < 0) return undefined;
    const [forced] = this.forcedRateLimits.splice(index, 1);
    return forced!.retryAfterSeconds;
  }

  private rateLimitResponse(channelId: string, retryAfterSeconds: number): [unknown, Record<string, string>] {
    const seconds = retryAfterSeconds.toFixed(3);
    return [
      { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: false },
      {
        'retry-after': seconds,
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': ((Date.now() + retryAfterSeconds * 1000) / 1000).toFixed(3),
        'x-ratelimit-reset-after': seconds,
        'x-ratelimit-bucket': `fake-${channelId}`,
        'x-ratelimit-scope': 'user',
      },
    ];
  }

  private createBotMessage(
    channelId: string,
    payload: Record<string, unknown>,
    extra: { referenceId?: string; flags?: number; interactionId?: string },
  ): FakeMessage {
    const channel = this.channels.get(channelId);
    const content = typeof payload.content === 'string' ? payload.content : '';
    const message: FakeMessage = {
      id: nextSnowflake(),
      channelId,
      guildId: channel ? fakeIds.guild : undefined,
      author: fakeUsers.bot,
      content,
      history: [content],
      historyAt: [preciseNow()],
      allowedMentions: [payload.allowed_mentions],
      referenceId: extra.referenceId,
      flags: extra.flags ?? Number(payload.flags ?? 0),
      interactionId: extra.interactionId,
      webhookId: extra.interactionId === undefined ? undefined : fakeIds.application,
      createdAt: Date.now(),
    };
    this.messages.set(message.id, message);
    // Discord echoes every non-ephemeral message back through the gateway, the bot's own included.
    if (!(message.flags & ephemeralFlag)) {
      this.dispatch('MESSAGE_CREATE', {
        ...this.messagePayload(message),
        ...(message.guildId ? { guild_id: message.guildId, member: memberPayload() } : { channel_type: 1 }),
      });
    }
    return message;
  }

  private editMessage(message: FakeMessage, payload: Record<string, unknown>): void {
    if (typeof payload.content === 'string') {
      message.content = payload.content;
      message.history.push(payload.content);
      message.historyAt.push(preciseNow());
      message.allowedMentions.push(payload.allowed_mentions);
    }
    if (!(message.flags & ephemeralFlag)) {
      this.dispatch('MESSAGE_UPDATE', {
        ...this.messagePayload(message),
        edited_timestamp: new Date().toISOString(),
        ...(message.guildId ? { guild_id: message.guildId } : {}),
      });
    }
  }

  private messagePayload(message: FakeMessage): Record<string, unknown> {
    const referenced = message.referenceId === undefined ? undefined : this.messages.get(message.referenceId);
    return {
      id: message.id,
      channel_id: message.channelId,
      author: userPayload(message.author),
      content: message.content,
      timestamp: new Date(message.createdAt).toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: message.referenceId ? 19 : message.interactionId ? 20 : 0,
      flags: message.flags,
      components: [],
      ...(message.webhookId ? { webhook_id: message.webhookId, application_id: fakeIds.application } : {}),
      ...(message.referenceId
        ? {
            message_reference: { type: 0, message_id: message.referenceId, channel_id: message.channelId },
            referenced_message: referenced
              ? { id: referenced.id, channel_id: referenced.channelId, author: userPayload(referenced.author), content: referenced.content, type: 0, mentions: [], timestamp: new Date(referenced.createdAt).toISOString() }
              : null,
          }
        : {}),
    };
  }

  private registeredCommand(command: Record<string, unknown>, guildId: string | undefined): Record<string, unknown> {
    // Discord answers with its own fields added and `required: false` left out.
    const stripDefaults = (options: unknown): unknown =>
      Array.isArray(options)
        ? options.map((option: Record<string, unknown>) => {
            const { required, options: nested, ...rest } = option;
            return { ...rest, ...(required ? { required: true } : {}), ...(nested === undefined ? {} : { options: stripDefaults(nested) }) };
          })
        : options;
    return {
      id: nextSnowflake(),
      application_id: fakeIds.application,
      version: nextSnowflake(),
      default_member_permissions: null,
      type: 1,
      nsfw: false,
      integration_types: [0],
      contexts: null,
      ...(guildId === undefined ? { dm_permission: true } : { guild_id: guildId }),
      ...command,
      ...(command.options === undefined ? {} : { options: stripDefaults(command.options) }),
    };
  }
}

/** Starts a fake Discord (REST + gateway) on 127.0.0.1. */
export function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  return FakeDiscord.start(options);
}
