import type { Platform, PostedMessageRef } from '../platform.js';
import type { ReplyTarget } from '../reply/types.js';

/** A person who wrote a message or ran a command. */
export interface Author {
  id: string;
  /** Display name, for prompts and "X asked:" lines. */
  name: string;
}

/** A platform message translated by an adapter: everything the core needs, no platform types. */
export interface IncomingMessage {
  platform: Platform;
  /** Slack team, Discord guild; '' for DMs. */
  workspaceId: string;
  channelId: string;
  /** The channel a thread belongs to (system prompt inheritance). */
  parentChannelId?: string;
  /** Slack thread ts, Discord thread id or the message's own id (a new reply chain), DM channel id. */
  threadKey: string;
  isDirect: boolean;
  /** True when the bot was mentioned (or it is a DM): the message starts a conversation if none exists. */
  addressed: boolean;
  author: Author;
  /** The text with the bot's own mention removed. */
  text: string;
  /** Unique per (platform, channel). */
  messageId: string;
  /** Platform delivery id (Slack event_id), for retries. */
  eventId?: string;
  /** The message this one replies to (Discord reply chains). */
  replyToMessageId?: string;
  /** Date.now() when the adapter received it. */
  receivedAt: number;
}

/** The commands the engine understands; adapters map slash commands onto them. */
export type CommandName = 'ask' | 'system' | 'reset' | 'help';

/** A slash command translated by an adapter. `text` is parsed by the engine, the same on every platform. */
export interface IncomingCommand {
  platform: Platform;
  workspaceId: string;
  channelId: string;
  parentChannelId?: string;
  isDirect: boolean;
  author: Author;
  name: CommandName;
  /** Everything after the command (e.g. `set Be brief.`, or the question for `ask`). */
  text: string;
  /** A one-off system prompt for `ask` (Discord's `system:` option). */
  systemPrompt?: string;
  /** Unique id of this invocation (Slack trigger_id, Discord interaction id): dedupes and keys `ask`. */
  commandId: string;
  receivedAt: number;
}

/** Where an `ask` answer streams, opened by the adapter. */
export interface AskAnswerPlace {
  /** The conversation key's channel and thread key for follow-ups. */
  channelId: string;
  threadKey: string;
  /** Platform id standing for the question (Slack root message ts, Discord interaction id). */
  questionMessageId: string;
  target: ReplyTarget;
}

/** How the engine answers a command. */
export interface CommandResponder {
  /** A private (ephemeral) answer to the person who ran the command. */
  respond(text: string): Promise<void>;
  /** For `ask`: shows the question and opens the place the answer streams into. */
  openAnswer(question: string): Promise<AskAnswerPlace>;
}

/** What the engine gives an adapter when it starts. */
export interface EngineHandlers {
  /** Handles a message; resolves once it is accepted (stored and queued), not when answered; rejects when it cannot be stored. */
  onMessage(message: IncomingMessage): Promise<void>;
  /** Handles a slash command. */
  onCommand(command: IncomingCommand, responder: CommandResponder): Promise<void>;
}

/** Adapter state as /healthz reports it. */
export type AdapterHealth = 'starting' | 'ready' | 'down';

/** The adapter port: adapters push messages and commands in, and render replies out. */
export interface ChatAdapter {
  readonly platform: Platform;
  start(handlers: EngineHandlers): Promise<void>;
  stop(): Promise<void>;
  /** A reply target for answering this message (thread, reply, DM). */
  replyTarget(message: IncomingMessage): ReplyTarget;
  /** Edits any stored bot message by its ref (crash recovery). */
  editStored(ref: PostedMessageRef, text: string): Promise<void>;
  /** Whether this person may set or clear the channel's system prompt. */
  maySetSystemPrompt(command: IncomingCommand): Promise<boolean>;
  /** Who may change the system prompt, for a polite refusal ("people with Manage Channels"). */
  readonly systemPromptAuthority: string;
  health(): AdapterHealth;
}
