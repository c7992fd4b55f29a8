import type { IncomingMessage as HttpRequest, ServerResponse } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { SlackConfig } from '../../src/config.js';
import { GroqbotError } from '../../src/errors.js';
import type { HttpRouter } from '../../src/http/router.js';
import type { Logger } from '../../src/logger.js';
import type { Metrics } from '../../src/metrics.js';
import type { PostedMessageRef } from '../../src/platform.js';
import { preciseNow } from '../../src/precise-clock.js';
import { settledWithin } from '../../src/settled-within.js';
import type {
  AdapterHealth,
  ChatAdapter,
  EngineHandlers,
  IncomingCommand,
  IncomingMessage,
} from '../../src/conversation/port.js';
import { mapSlackCommand, type SlackSlashCommand } from './slack-commands.js';
import { asMessageEvent, mapSlackEvent, replyThreadTs, type SlackBotIdentity } from './slack-event-mapper.js';
import { toSlackLogger } from './slack-logger.js';
import { SlackReplyTarget, updateSlackMessage } from './slack-reply-target.js';
import { createSlackResponder } from './slack-responder.js';
import { SlackStatusIndicator } from './slack-status-indicator.js';
import { createSlackClient, defaultCallLimits, slackClientOptions, type SlackCallLimits } from './slack-web-client.js';

/** The path Slack's Events API and slash commands are delivered to in HTTP mode. */
export const slackEventsPath = '/slack/events';

/** What the composition root hands the Slack adapter. */
export interface SlackAdapterOptions {
  config: SlackConfig;
  editIntervalMs: number;
  router: HttpRouter;
  logger: Logger;
  metrics: Metrics;
  /** Web API timeout and retries (tests shorten them). */
  callLimits?: SlackCallLimits;
  /**
   * Socket Mode ping timeout, which also paces reconnect attempts (attempt n waits n times this);
   * the library's default is 5,000 ms.
   */
  socketPingTimeoutMs?: number;
  /** Longest an HTTP delivery's acknowledgement waits for its message to be handled (tests shorten it). */
  acknowledgeWithinMs?: number;
}

/**
 * Slack retries an event that is not acknowledged within 3 s; the acknowledgement waits for the
 * message's handling (stored, its Groq request sent) at most this long, which only a slow start
 * (the engine waits for crash recovery's edits) can reach.
 */
const defaultAcknowledgeWithinMs = 2_000;

/** Creates the Slack adapter; in HTTP mode it mounts `POST /slack/events` on the router at once (503 until started). */
export function createSlackAdapter(options: SlackAdapterOptions): ChatAdapter {
  return new SlackAdapter(options);
}

/** Bolt in HTTP mode (on the service's own server) or Socket Mode, translating both ways. */
class SlackAdapter implements ChatAdapter {
  readonly platform = 'slack' as const;
  readonly systemPromptAuthority: string;
  private state: AdapterHealth = 'starting';
  private stopped = false;
  private identity: SlackBotIdentity | undefined;
  private httpReceiver: HTTPReceiver | undefined;
  private socketReceiver: SocketModeReceiver | undefined;
  private readonly limits: SlackCallLimits;
  /** Calls that may be repeated safely (auth.test, status, ephemeral): bounded retries. */
  private readonly apiClient: WebClient;
  /** Posts and edits: one attempt each, since the renderer owns retries and a repeated post would duplicate. */
  private readonly messageClient: WebClient;
  private readonly indicator: SlackStatusIndicator;
  private readonly logger: Logger;
  /** When each HTTP delivery reached the service, before Bolt reads and verifies it: the event's "received" time. */
  private readonly arrivals = new WeakMap<HttpRequest, number>();

  constructor(private readonly options: SlackAdapterOptions) {
    const { config, logger } = options;
    this.logger = logger;
    this.limits = options.callLimits ?? defaultCallLimits;
    this.apiClient = createSlackClient(config.botToken, config.apiUrl, logger, this.limits);
    this.messageClient = createSlackClient(config.botToken, config.apiUrl, logger, { ...this.limits, retries: 0 });
    this.indicator = new SlackStatusIndicator({ client: () => this.apiClient, logger });
    this.systemPromptAuthority =
      config.adminUserIds.length > 0 ? 'the workspace admins listed in SLACK_ADMIN_USER_IDS' : 'anyone';
    if (config.appToken === undefined) {
      options.router.handle('POST', slackEventsPath, (request, response) => this.onHttpRequest(request, response));
    }
  }

  /** Learns who the bot is with auth.test, then builds the Bolt app and connects (Socket Mode) or starts taking requests. */
  async start(handlers: EngineHandlers): Promise<void> {
    const { config } = this.options;
    try {
      const auth = await this.apiClient.auth.test();
      if (typeof auth.user_id !== 'string' || typeof auth.team_id !== 'string') {
        throw new Error('auth.test returned no user_id or team_id');
      }
      this.identity = { userId: auth.user_id, botId: typeof auth.bot_id === 'string' ? auth.bot_id : '', teamId: auth.team_id };
    } catch (error) {
      this.state = 'down';
      throw new GroqbotError('Slack auth.test failed: check SLACK_BOT_TOKEN and SLACK_API_URL', { code: 'slack_auth_failed', cause: error });
    }
    this.logger.info({ botUserId: this.identity.userId, teamId: this.identity.teamId, mode: config.appToken ? 'socket' : 'http' }, 'Slack bot identified');

    const slackLogger = toSlackLogger(this.logger);
    const clientOptions = slackClientOptions(config.apiUrl, this.logger, this.limits);
    if (config.appToken !== undefined) {
      this.socketReceiver = new SocketModeReceiver({
        appToken: config.appToken,
        logger: slackLogger,
        clientPingTimeout: this.options.socketPingTimeoutMs ?? 5_000,
        // Its own client for apps.connections.open; Socket Mode keeps its own reconnect policy on top.
        installerOptions: { clientOptions: { ...clientOptions, retryConfig: { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 10_000 } } },
      });
    } else {
      this.httpReceiver = new HTTPReceiver({
        signingSecret: config.signingSecret ?? '',
        endpoints: slackEventsPath,
        logger: slackLogger,
        // The 200 goes after the listener: a message is stored before Slack stops retrying it, and the
        // response's write (a wake-up of the peer) no longer comes before the Groq request: arrival →
        // listener p50 1.0 → 0.7 ms (bench/slack-acknowledgement.ts).
        processBeforeResponse: true,
        // Bolt buffers the same request object it was given; the arrival time reaches listeners as context.receivedAt.
        customPropertiesExtractor: (request) => {
          const receivedAt = this.arrivals.get(request);
          return receivedAt === undefined ? {} : { receivedAt };
        },
      });
    }
    const app = new App({
      token: config.botToken,
      // Known ids keep Bolt from calling auth.test itself.
      botId: this.identity.botId || undefined,
      botUserId: this.identity.userId,
      receiver: this.socketReceiver ?? this.httpReceiver,
      logger: slackLogger,
      clientOptions,
      convoStore: false,
    });
    this.registerListeners(app, handlers);

    if (this.socketReceiver) {
      const socket = this.socketReceiver.client;
      socket.on('connected', () => this.setState('ready'));
      // 'close' comes at once when the connection drops; 'reconnecting' only after the back-off.
      socket.on('close', () => this.setState('down'));
      socket.on('reconnecting', () => this.setState('down'));
      socket.on('disconnected', () => this.setState('down'));
      try {
        await app.start();
      } catch (error) {
        this.state = 'down';
        throw new GroqbotError('Slack Socket Mode connection failed: check SLACK_APP_TOKEN (xapp-…, connections:write)', {
          code: 'slack_connect_failed',
          cause: error,
        });
      }
      this.setState('ready');
    } else {
      this.setState('ready');
    }
  }

  /** Stops taking events and closes the Socket Mode connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'down';
    const socket = this.socketReceiver?.client;
    if (socket) await settledWithin(socket.disconnect().catch(() => undefined), 2_000);
  }

  /** The thread (or top-level DM) a message's answer streams into. */
  replyTarget(message: IncomingMessage): SlackReplyTarget {
    return this.targetIn(message.channelId, replyThreadTs(message));
  }

  /** Crash recovery: replaces a stored bot message's text. */
  async editStored(ref: PostedMessageRef, text: string): Promise<void> {
    await updateSlackMessage(this.messageClient, ref, text);
  }

  /** With SLACK_ADMIN_USER_IDS set only those users may change a system prompt; otherwise anyone may. */
  async maySetSystemPrompt(command: IncomingCommand): Promise<boolean> {
    const admins = this.options.config.adminUserIds;
    return admins.length === 0 || admins.includes(command.author.id);
  }

  /** Starting until auth.test (and, in Socket Mode, the connection) succeeded; down when either fails or after stop. */
  health(): AdapterHealth {
    return this.state;
  }

  private setState(state: AdapterHealth): void {
    if (!this.stopped) this.state = state;
  }

  private targetIn(channelId: string, threadTs: string | undefined): SlackReplyTarget {
    const { config, editIntervalMs } = this.options;
    return new SlackReplyTarget({
      client: this.messageClient,
      channelId,
      threadTs,
      teamId: this.identity?.teamId ?? 'unknown',
      maxLength: config.maxMessageChars,
      minEditIntervalMs: editIntervalMs,
      editsPerMinute: config.editsPerMinute,
      indicator: this.indicator,
    });
  }

  private onHttpRequest(request: HttpRequest, response: ServerResponse): void {
    const receiver = this.httpReceiver;
    if (receiver === undefined || this.stopped) {
      // Slack retries a 503, and the retry is deduplicated once we are running.
      response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      response.end(JSON.stringify({ error: 'starting' }));
      return;
    }
    this.arrivals.set(request, preciseNow());
    receiver.requestListener(request, response);
  }

  private registerListeners(app: App, handlers: EngineHandlers): void {
    const onEvent = async (event: unknown, eventId: string | undefined, context: Record<string, unknown>): Promise<void> => {
      const identity = this.identity;
      const parsed = asMessageEvent(event);
      if (identity === undefined || parsed === undefined || this.stopped) return;
      // Socket Mode has no HTTP arrival: there the event counts as received when Bolt hands it over.
      const receivedAt = typeof context.receivedAt === 'number' ? context.receivedAt : preciseNow();
      const message = mapSlackEvent({ event_id: eventId }, parsed, identity, receivedAt);
      if (message === undefined) return;
      const handled = handlers.onMessage(message).catch((error: unknown) => {
        this.logger.error({ err: error, eventId, channelId: message.channelId }, 'handling a Slack message failed');
      });
      await settledWithin(handled, this.options.acknowledgeWithinMs ?? defaultAcknowledgeWithinMs);
    };
    app.event('app_mention', async ({ event, body, context }) => onEvent(event, body.event_id, context));
    app.event('message', async ({ event, body, context }) => onEvent(event, body.event_id, context));

    const { config } = this.options;
    for (const name of new Set([config.askCommand, config.systemCommand, config.resetCommand])) {
      app.command(name, async ({ command, ack }) => {
        // Slack needs the acknowledgement within 3 s; everything else happens after it.
        await ack();
        void this.runCommand(command, handlers);
      });
    }
    app.error(async (error) => {
      this.logger.error({ err: error }, 'Bolt reported an error');
    });
  }

  private async runCommand(slashCommand: SlackSlashCommand, handlers: EngineHandlers): Promise<void> {
    const identity = this.identity;
    if (identity === undefined || this.stopped) return;
    const command = mapSlackCommand(this.options.config, slashCommand, identity.teamId, Date.now());
    if (command === undefined) return;
    const responder = createSlackResponder({
      command,
      responseUrl: slashCommand.response_url,
      apiClient: this.apiClient,
      messageClient: this.messageClient,
      timeoutMs: this.limits.timeoutMs,
      maxMessageChars: this.options.config.maxMessageChars,
      replyTarget: (channelId, threadTs) => this.targetIn(channelId, threadTs),
      logger: this.logger,
    });
    try {
      await handlers.onCommand(command, responder);
    } catch (error) {
      this.logger.error({ err: error, command: command.name, channelId: command.channelId }, 'handling a Slack command failed');
      await responder.respond('Sorry, something went wrong handling that command. Please try again.').catch(() => undefined);
    }
  }
}
