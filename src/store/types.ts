import type { ChatRole, EncodedChatMessage, EncodedChatRun, Usage } from '../completion/types.js';
import type { ConversationKey, Platform, PostedMessageRef } from '../platform.js';

/** One conversation row: a thread, reply chain or DM, possibly reset (then inactive). */
export interface Conversation extends ConversationKey {
  id: number;
  /** A conversation-level system prompt (set by a one-off `ask`). */
  systemPrompt: string | null;
  active: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Lifecycle of a stored message; user messages are always `complete`. */
export type MessageStatus = 'streaming' | 'complete' | 'interrupted' | 'failed';

/** One stored message. */
export interface StoredMessage {
  id: number;
  conversationId: number;
  role: ChatRole;
  content: string;
  authorId: string | null;
  platformMessageId: string | null;
  status: MessageStatus;
  /** False for failed replies and user messages refused as too long. */
  inPrompt: boolean;
  tokenCount: number;
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  requestId: string | null;
  createdAt: number;
}

/** A user message to append; dedupes on (platform, channel, platform message id) and on event id. */
export interface NewUserMessage {
  conversationId: number;
  platform: Platform;
  channelId: string;
  content: string;
  authorId: string;
  platformMessageId: string;
  eventId?: string;
  /** False when the message must never enter prompts (refused as too long). Default true. */
  inPrompt?: boolean;
  /** Model whose tokenizer counts it. */
  model: string;
}

/** A user message with its tokens already counted (stored in a batch). */
export interface CountedUserMessage {
  message: NewUserMessage;
  tokenCount: number;
}

/** Result of appending a user message. */
export type AppendResult = { status: 'stored'; message: StoredMessage } | { status: 'duplicate' };

/** How an assistant reply ended. */
export interface FinishedReply {
  status: Exclude<MessageStatus, 'streaming'>;
  content: string;
  /** False keeps the reply out of later prompts (failed replies). Default: status !== 'failed'. */
  inPrompt?: boolean;
  usage?: Usage;
  requestId?: string;
  model?: string;
}

/** A message as it enters a prompt, with its token count computed when it was stored. */
export interface PromptMessage {
  id: number;
  role: ChatRole;
  content: string;
  tokenCount: number;
}

/** A stored turn as it enters a request: its chat message as JSON (`{"role":…,"content":…}`), made by SQLite. */
export interface EncodedPromptMessage extends EncodedChatMessage {
  id: number;
  tokenCount: number;
}

/** What a fitted prompt history holds: stored turns one by one, or (a history that fits whole) one run of them. */
export type PromptHistoryPart = EncodedPromptMessage | EncodedChatRun;

/** A reply a crash left `streaming`, with every platform message it posted. */
export interface InterruptedReply {
  messageId: number;
  conversationId: number;
  platform: Platform;
  /** The visible answer text last saved. */
  content: string;
  parts: Array<{ index: number; ref: PostedMessageRef; text: string }>;
}

/** A channel's custom system prompt. */
export interface ChannelSystemPrompt {
  prompt: string;
  setBy: string;
  setAt: number;
}

/** A stored user message no reply was ever started for (the service stopped first), with where it was asked. */
export interface UnansweredMessage {
  message: StoredMessage;
  conversation: Conversation;
  /** The channel the message was posted in. */
  channelId: string;
}
