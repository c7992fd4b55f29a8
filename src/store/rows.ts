import type { ChatRole } from '../completion/types.js';
import type { Platform } from '../platform.js';
import type { Conversation, MessageStatus, StoredMessage } from './types.js';

/** A `conversations` row as SQLite returns it. */
export interface ConversationRow {
  id: number;
  platform: Platform;
  workspace_id: string;
  channel_id: string;
  thread_key: string;
  system_prompt: string | null;
  active: number;
  created_at: number;
  updated_at: number;
}

/** A `messages` row as SQLite returns it. */
export interface MessageRow {
  id: number;
  conversation_id: number;
  role: ChatRole;
  content: string;
  author_id: string | null;
  platform_message_id: string | null;
  status: MessageStatus;
  in_prompt: number;
  token_count: number;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  request_id: string | null;
  created_at: number;
}

/** Column list matching `MessageRow`. */
export const messageColumns =
  'id, conversation_id, role, content, author_id, platform_message_id, status, in_prompt, token_count, model, prompt_tokens, completion_tokens, request_id, created_at';

/** Maps a `conversations` row to the seam type. */
export function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    platform: row.platform,
    workspaceId: row.workspace_id,
    channelId: row.channel_id,
    threadKey: row.thread_key,
    systemPrompt: row.system_prompt,
    active: row.active === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Maps a `messages` row to the seam type. */
export function toStoredMessage(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    role: row.role,
    content: row.content,
    authorId: row.author_id,
    platformMessageId: row.platform_message_id,
    status: row.status,
    inPrompt: row.in_prompt === 1,
    tokenCount: row.token_count,
    model: row.model,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    requestId: row.request_id,
    createdAt: row.created_at,
  };
}
