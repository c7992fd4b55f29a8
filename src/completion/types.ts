/** Roles the bot sends; Groq also knows `developer` and `tool`, which the bot does not use. */
export type ChatRole = 'system' | 'user' | 'assistant';

const chatRoles: ReadonlySet<string> = new Set<ChatRole>(['system', 'user', 'assistant']);

/** True for a role the bot sends. */
export function isChatRole(role: unknown): role is ChatRole {
  return typeof role === 'string' && chatRoles.has(role);
}

/** One message of a chat completion request. `name` is never sent: Groq rejects it. */
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/**
 * A chat message already serialised as Groq's JSON (`{"role":…,"content":…}`), sent as it is:
 * stored turns come this way from SQLite, so the history is not rebuilt as objects and serialised again.
 */
export interface EncodedChatMessage {
  role: ChatRole;
  json: string;
}

/**
 * Consecutive chat messages already serialised, comma-separated (`{…},{…}`), sent as they are: a
 * stored history that SQLite wrote in one piece, so no string per turn is made and joined again.
 */
export interface EncodedChatRun {
  run: string;
  /** How many messages `run` holds (at least one). */
  count: number;
}

/** One message of a request (as fields, or already as JSON), or a run of them already as JSON. */
export type RequestMessage = ChatMessage | EncodedChatMessage | EncodedChatRun;

/** Groq's `response_format`, passed through as given. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; description?: string; schema: Record<string, unknown>; strict?: boolean };
    };

/** A streamed chat completion request, in our names; the client maps them onto Groq's wire names. */
export interface CompletionRequest {
  model: string;
  messages: RequestMessage[];
  temperature?: number;
  topP?: number;
  maxCompletionTokens?: number;
  /** One sequence or at most four. */
  stop?: string | string[];
  seed?: number;
  responseFormat?: ResponseFormat;
  reasoningEffort?: string;
  includeReasoning?: boolean;
  reasoningFormat?: 'hidden' | 'raw' | 'parsed';
  user?: string;
  /** Groq only accepts 1; anything else is rejected locally. */
  n?: number;
}

/** Token usage as Groq reports it on the last chunk. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  reasoningTokens?: number;
  cachedTokens?: number;
}

/** Why generation stopped. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** One part of a completion stream (a tagged union, noun-action names). */
export type CompletionPart =
  | { type: 'text-delta'; text: string }
  | { type: 'reasoning-delta'; text: string }
  | { type: 'finish'; reason: FinishReason; usage?: Usage };

/** Groq's rate-limit headers, parsed. Tokens are per minute, requests per day. */
export interface RateLimitInfo {
  limitTokens?: number;
  remainingTokens?: number;
  limitRequests?: number;
  remainingRequests?: number;
  /** `x-ratelimit-reset-tokens` as milliseconds. */
  resetTokensMs?: number;
}

/** A started completion: iterate it for parts; request id and rate limits fill in once headers arrive. */
export interface CompletionStream extends AsyncIterable<CompletionPart> {
  /** `x_groq.id` or the `x-request-id` header, once known. */
  readonly requestId: string | undefined;
  /** Parsed rate-limit headers of the response that was streamed, once known. */
  readonly rateLimit: RateLimitInfo | undefined;
  /** All answer text received so far (kept when the stream fails). */
  readonly text: string;
  /** When the first request's last byte was written to its connection (`preciseNow()` scale), once it was. */
  readonly requestSentAt: number | undefined;
  /** Resolves once the request is on the wire, or the stream has failed or ended, whichever comes first. */
  whenSent(): Promise<void>;
}

/** Starts streamed completions. Implementations: the Groq client (src/completion/groq-client.ts). */
export interface CompletionClient {
  stream(request: CompletionRequest, options?: { signal?: AbortSignal }): CompletionStream;
}
