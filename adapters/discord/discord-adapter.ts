import { setTimeout as delay } from 'node:timers/promises';
import { Events, MessageFlags, PermissionFlagsBits, type Client, type Interaction, type Message } from 'discord.js';
import type { DiscordConfig } from '../../src/config.js';
import type {
  AdapterHealth,
  ChatAdapter,
  EngineHandlers,
  IncomingCommand,
  IncomingMessage,
} from '../../src/conversation/port.js';
import { GroqbotError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { Metrics } from '../../src/metrics.js';
import type { PostedMessageRef } from '../../src/platform.js';
import { preciseNow } from '../../src/precise-clock.js';
import type { ReplyTarget } from '../../src/reply/types.js';
import { ChannelReplyTarget, discordMaxLength } from './channel-reply-target.js';
import { createDiscordClient } from './discord-client.js';
import { toPlatformError } from './discord-errors.js';
import { DiscordRest } from './discord-rest.js';
import { commandNameOf, InteractionResponder, translateCommand } from './interaction-commands.js';
import { inviteUrl, permissionLabel } from './invite-url.js';
import { decodeWebhookHandle } from './message-handle.js';
import { translateMessage } from './message-translation.js';
import { registerCommands } from './slash-commands.js';
import { threadName } from './thread-name.js';
import { shorten } from '../../src/text/shorten.js';

/** What src/main.ts passes to the Discord adapter. */
export interface DiscordAdapterOptions {
  config: DiscordConfig;
  editIntervalMs: number;
  logger: Logger;
  metrics: Metrics;
  /** Age after which an /ask answer stops using its interaction token (default 14 minutes; tests shorten it). */
  interactionTokenWindowMs?: number;
}

/** Attempts and longest wait per attempt when a recovery edit is rate limited. */
const maxRecoveryAttempts = 4;
const maxRecoveryWaitMs = 10_000;

/** Longest wait for the gateway to be ready at start-up. */
const readyTimeoutMs = 60_000;

/** Fits a recovered text into one message, keeping a short last paragraph (the interruption note). */
export function fitToMessage(text: string, limit: number = discordMaxLength): string {
  if (text.length <= limit) return text;
  const split = text.lastIndexOf('\n\n');
  const note = split >= 0 ? text.slice(split + 2) : '';
  if (note.length > 0 && note.length < 200) {
    return `${shorten(text, limit - note.length - 2)}\n\n${note}`;
  }
  return shorten(text, limit);
}

function permissionFlag(name: string): bigint {
  const flag = (PermissionFlagsBits as Record<string, bigint | undefined>)[name];
  if (flag === undefined) {
    throw new GroqbotError(`DISCORD_SYSTEM_PERMISSION: unknown permission "${name}" (use a name such as ManageChannels)`, {
      code: 'invalid_config',
    });
  }
  return flag;
}

/** Arrival stamps kept for messages discord.js has not handed over yet (it hands every one over at once; this only bounds a leak). */
const maxPendingArrivals = 1_000;

/** The Discord adapter: gateway events in, streamed replies out, slash commands registered at start. */
class DiscordAdapter implements ChatAdapter {
  readonly platform = 'discord' as const;
  readonly systemPromptAuthority: string;
  private readonly client: Client;
  private readonly rest: DiscordRest;
  private readonly logger: Logger;
  private readonly systemPermission: bigint;
  /** Whether the member who ran a command may change the system prompt, by command id (until answered). */
  private readonly commandPermissions = new Map<string, boolean>();
  private handlers: EngineHandlers | undefined;
  /** When each MESSAGE_CREATE came off the gateway, by message id, until its handler takes it. */
  private readonly arrivals = new Map<string, number>();
  private state: AdapterHealth = 'starting';
  private stopped = false;

  constructor(private readonly options: DiscordAdapterOptions) {
    this.logger = options.logger;
    this.systemPermission = permissionFlag(options.config.systemPermission);
    this.systemPromptAuthority = `members with the ${permissionLabel(options.config.systemPermission)} permission`;
    this.client = createDiscordClient(options.config);
    this.rest = new DiscordRest(this.client.rest);
  }

  async start(handlers: EngineHandlers): Promise<void> {
    this.handlers = handlers;
    const client = this.client;
    this.watchConnection(client);
    // The raw packet comes before discord.js builds its objects: the event's "received" time.
    client.on(Events.Raw, (packet: { t?: unknown; d?: { id?: unknown } }) => {
      if (packet.t !== 'MESSAGE_CREATE' || typeof packet.d?.id !== 'string') return;
      if (this.arrivals.size >= maxPendingArrivals) this.arrivals.clear();
      this.arrivals.set(packet.d.id, preciseNow());
    });
    client.on(Events.MessageCreate, (message) => void this.onMessageCreate(message));
    client.on(Events.InteractionCreate, (interaction) => void this.onInteraction(interaction));

    let readyTimer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      client.once(Events.ClientReady, () => resolve());
      readyTimer = setTimeout(() => reject(new Error('the gateway did not become ready in time')), readyTimeoutMs);
      readyTimer.unref();
    });
    try {
      // Together: the timeout also bounds a hanging login, and a timeout during login is never an unhandled rejection.
      await Promise.all([client.login(this.options.config.botToken), ready]);
    } catch (error) {
      await client.destroy().catch(() => {});
      this.state = 'down';
      throw new GroqbotError(
        'Discord login failed: check DISCORD_BOT_TOKEN, and that the Message Content intent is enabled for the bot in the Developer Portal',
        { code: 'discord_login_failed', cause: error },
      );
    } finally {
      clearTimeout(readyTimer);
    }
    this.state = 'ready';
    const applicationId = client.application?.id ?? client.user?.id ?? '';
    this.logger.info({ botUserId: client.user?.id, inviteUrl: inviteUrl(applicationId) }, 'Discord connected; add the bot to a server with this invite URL');
    try {
      await registerCommands({ rest: client.rest, applicationId, guildId: this.options.config.guildId, logger: this.logger });
    } catch (error) {
      // Mentions, replies and DMs work without slash commands: report, do not refuse to start.
      this.logger.error({ err: toPlatformError(error, 'register slash commands') }, 'could not register slash commands');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'down';
    this.commandPermissions.clear();
    await this.client.destroy();
  }

  health(): AdapterHealth {
    return this.state;
  }

  replyTarget(message: IncomingMessage): ReplyTarget {
    // A thread opened from a message has the message's id, and the message stays in the parent
    // channel: nothing to reply to inside the thread.
    const replyTo = message.channelId === message.messageId ? undefined : message.messageId;
    return new ChannelReplyTarget({
      rest: this.rest,
      channelId: message.channelId,
      replyTo,
      editIntervalMs: this.options.editIntervalMs,
      editsPer5s: this.options.config.editsPer5s,
    });
  }

  async editStored(ref: PostedMessageRef, text: string): Promise<void> {
    const handle = decodeWebhookHandle(ref.handle);
    if (handle !== undefined) {
      try {
        await this.rest.editWebhookMessage(handle.applicationId, handle.token, ref.messageId, fitToMessage((handle.header ?? '') + text));
      } catch (error) {
        // Interaction tokens expire after 15 minutes: the message can no longer be edited by anyone.
        this.logger.info({ err: toPlatformError(error, 'edit interaction message'), messageId: ref.messageId }, 'could not edit an interaction message; left as it was');
      }
      return;
    }
    // Recovery runs outside the renderer, so it waits out rate limits itself (a few times, briefly).
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.rest.editMessage(ref.channelId, ref.messageId, fitToMessage(text));
        return;
      } catch (error) {
        const failure = toPlatformError(error, 'edit stored message');
        if (failure.code !== 'platform_rate_limited' || attempt >= maxRecoveryAttempts) throw failure;
        await delay(Math.min(failure.retryAfterMs ?? 1_000, maxRecoveryWaitMs));
      }
    }
  }

  async maySetSystemPrompt(command: IncomingCommand): Promise<boolean> {
    if (command.isDirect) return true;
    return this.commandPermissions.get(command.commandId) ?? false;
  }

  private watchConnection(client: Client): void {
    client.on(Events.Error, (error) => this.logger.error({ err: error }, 'Discord client error'));
    client.on(Events.Warn, (message) => this.logger.warn({ detail: message }, 'Discord client warning'));
    client.on(Events.ShardError, (error, shardId) => this.logger.warn({ err: error, shardId }, 'Discord gateway connection error'));
    client.on(Events.ShardDisconnect, (event, shardId) => {
      this.state = 'down';
      this.logger.error({ code: event.code, shardId }, 'Discord gateway closed for good');
    });
    client.on(Events.ShardReconnecting, (shardId) => {
      if (this.stopped) return;
      this.state = 'down';
      this.logger.warn({ shardId }, 'Discord gateway reconnecting');
    });
    client.on(Events.Invalidated, () => {
      this.state = 'down';
      this.logger.error('Discord session invalidated');
    });
    const backUp = (shardId: number) => {
      if (this.stopped || !client.isReady()) return;
      this.state = 'ready';
      this.logger.info({ shardId }, 'Discord gateway connected');
    };
    client.on(Events.ShardResume, (shardId) => backUp(shardId));
    client.on(Events.ShardReady, (shardId) => backUp(shardId));
  }

  private async onMessageCreate(message: Message): Promise<void> {
    const receivedAt = this.arrivals.get(message.id) ?? preciseNow();
    this.arrivals.delete(message.id);
    const handlers = this.handlers;
    const botId = this.client.user?.id;
    if (handlers === undefined || botId === undefined || this.stopped) return;
    try {
      const translation = translateMessage(message, { botId, autoThread: this.options.config.autoThread, now: receivedAt });
      if (translation.kind === 'ignore') {
        this.logger.trace({ messageId: message.id, reason: translation.reason }, 'message ignored');
        return;
      }
      const incoming = translation.startThread ? await this.moveToNewThread(translation.incoming) : translation.incoming;
      await handlers.onMessage(incoming);
    } catch (error) {
      this.logger.error({ err: error, messageId: message.id }, 'could not handle a Discord message');
    }
  }

  /** DISCORD_AUTO_THREAD: opens a thread from the message; the conversation lives there. */
  private async moveToNewThread(incoming: IncomingMessage): Promise<IncomingMessage> {
    try {
      const threadId = await this.rest.startThread(incoming.channelId, incoming.messageId, threadName(incoming.text, incoming.author.name));
      return { ...incoming, channelId: threadId, parentChannelId: incoming.channelId, threadKey: threadId };
    } catch (error) {
      // Without Create Public Threads (or in a channel that has none), answer as a reply instead.
      this.logger.warn({ err: toPlatformError(error, 'start thread'), messageId: incoming.messageId }, 'could not open a thread; answering in the channel');
      return incoming;
    }
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    const handlers = this.handlers;
    if (handlers === undefined || this.stopped || !interaction.isChatInputCommand()) return;
    const name = commandNameOf(interaction);
    if (name === undefined) return;
    const receivedAt = Date.now();
    const ephemeral = name !== 'ask';
    try {
      // Discord drops interactions not acknowledged within 3 s: defer before any other work.
      await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
    } catch (error) {
      this.logger.warn({ err: toPlatformError(error, 'defer interaction'), command: name }, 'could not acknowledge a slash command');
      return;
    }
    const command = translateCommand(interaction, name, receivedAt);
    this.commandPermissions.set(command.commandId, !interaction.inGuild() || (interaction.memberPermissions?.has(this.systemPermission) ?? false));
    const responder = new InteractionResponder({
      rest: this.rest,
      interaction,
      ephemeral,
      isDirect: command.isDirect,
      receivedAt,
      editIntervalMs: this.options.editIntervalMs,
      editsPer5s: this.options.config.editsPer5s,
      tokenWindowMs: this.options.interactionTokenWindowMs,
      logger: this.logger,
    });
    try {
      await handlers.onCommand(command, responder);
    } catch (error) {
      this.logger.error({ err: error, command: name }, 'could not handle a slash command');
      await responder.respond('Sorry, something went wrong with that command.').catch(() => {});
    } finally {
      this.commandPermissions.delete(command.commandId);
    }
  }
}

/** Creates the Discord adapter; `start()` logs in, registers slash commands and begins listening. */
export function createDiscordAdapter(options: DiscordAdapterOptions): ChatAdapter {
  return new DiscordAdapter(options);
}
