import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import type { GroqErrorPayload } from './http-error.js';
import type { CompletionPart, FinishReason, Usage } from './types.js';

/** Groq's usage object (on the last chunk, in `usage` and/or `x_groq.usage`). */
interface GroqUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

/** The fields of a streamed chunk the client reads; everything else is ignored. */
interface GroqChunk {
  choices?: Array<{ delta?: { content?: string | null; reasoning?: string | null }; finish_reason?: string | null }>;
  usage?: GroqUsage | null;
  x_groq?: { id?: string; usage?: GroqUsage | null; error?: GroqErrorPayload | string | null } | null;
  error?: GroqErrorPayload | string | null;
}

const finishReasons = new Set<string>(['stop', 'length', 'tool_calls', 'content_filter']);

/** Longest delta text that later deltas are still joined to while it waits to be taken. */
const maxJoinedChars = 4_096;

/** Maps Groq's usage onto ours. */
function toUsage(usage: GroqUsage): Usage {
  const promptTokens = usage.prompt_tokens ?? 0;
  const completionTokens = usage.completion_tokens ?? 0;
  const result: Usage = { promptTokens, completionTokens, totalTokens: usage.total_tokens ?? promptTokens + completionTokens };
  const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoningTokens === 'number') result.reasoningTokens = reasoningTokens;
  const cachedTokens = usage.prompt_tokens_details?.cached_tokens;
  if (typeof cachedTokens === 'number') result.cachedTokens = cachedTokens;
  return result;
}

/**
 * Turns the bytes of one streamed response into completion parts: UTF-8 decoding that survives
 * split characters, SSE framing (eventsource-parser), JSON, and Groq's ways of failing mid-stream.
 * Parts queue up in `parts` for the consumer to drain; `error` and `done` end the stream.
 */
export class StreamDecoder {
  /** Parts decoded and not yet taken; the consumer reads from `head` and clears when drained. */
  readonly parts: CompletionPart[] = [];
  /** Index of the next part to take. */
  head = 0;
  /** `data: [DONE]` arrived. */
  done = false;
  /** A finish chunk arrived. */
  finished = false;
  /** The failure the stream reported (Groq's error object), if any; nothing after it is decoded. */
  error: { payload: GroqErrorPayload | string; cause?: unknown } | undefined;
  /** `x_groq.id` of the stream (or the header's, set by the client). */
  requestId: string | undefined;

  private sawDelta = false;
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parser: EventSourceParser;

  constructor(private readonly onFirstDelta?: () => void) {
    this.parser = createParser({ onEvent: (event) => this.handleEvent(event) });
  }

  /** Feeds one network chunk. */
  feed(bytes: Uint8Array): void {
    if (this.error !== undefined || this.done) return;
    this.parser.feed(this.decoder.decode(bytes, { stream: true }));
  }

  /** Flushes what the body left unterminated (a last event without its blank line). */
  end(): void {
    if (this.error !== undefined || this.done) return;
    const rest = this.decoder.decode();
    if (rest !== '') this.parser.feed(rest);
    this.parser.reset({ consume: true });
  }

  /** True while parts are waiting. */
  get hasParts(): boolean {
    return this.head < this.parts.length;
  }

  /** Takes the next waiting part (call only when `hasParts`). */
  take(): CompletionPart {
    const part = this.parts[this.head++] as CompletionPart;
    if (this.head === this.parts.length) {
      // Reuse the array: one allocation for the whole stream instead of one per network chunk.
      this.parts.length = 0;
      this.head = 0;
    }
    return part;
  }

  private handleEvent(event: EventSourceMessage): void {
    if (this.error !== undefined || this.done) return;
    const data = event.data;
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    let chunk: GroqChunk;
    try {
      chunk = JSON.parse(data) as GroqChunk;
    } catch (cause) {
      this.error = { payload: { message: `unreadable chunk: ${data.slice(0, 200)}` }, cause };
      return;
    }
    if (event.event === 'error' || (chunk.error !== undefined && chunk.error !== null)) {
      this.error = { payload: chunk.error ?? { message: data.slice(0, 500) } };
      return;
    }
    const xGroq = chunk.x_groq;
    if (xGroq) {
      if (this.requestId === undefined && typeof xGroq.id === 'string') this.requestId = xGroq.id;
      if (xGroq.error !== undefined && xGroq.error !== null) {
        this.error = { payload: xGroq.error };
        return;
      }
    }
    const choice = chunk.choices?.[0];
    if (choice === undefined) return;
    const delta = choice.delta;
    if (delta !== undefined) {
      const reasoning = delta.reasoning;
      if (typeof reasoning === 'string' && reasoning !== '') this.queueDelta('reasoning-delta', reasoning);
      const content = delta.content;
      if (typeof content === 'string' && content !== '') this.queueDelta('text-delta', content);
    }
    const reason = choice.finish_reason;
    if (typeof reason === 'string' && !this.finished) {
      this.finished = true;
      const usage = chunk.usage ?? xGroq?.usage;
      const finishReason = (finishReasons.has(reason) ? reason : 'stop') as FinishReason;
      this.parts.push(usage ? { type: 'finish', reason: finishReason, usage: toUsage(usage) } : { type: 'finish', reason: finishReason });
    }
  }

  /**
   * Queues a delta, joined to the queued (not yet taken) delta before it when that is of the same
   * kind: every part costs the consumer a hand-over through async iterators, and a busy process
   * reads 2–5 frames per network chunk. Past `maxJoinedChars` a new part starts, so a consumer
   * that stops taking still lets the queue's part count pause the socket.
   */
  private queueDelta(type: 'text-delta' | 'reasoning-delta', text: string): void {
    if (!this.sawDelta) this.firstDelta();
    const last = this.parts.length > this.head ? this.parts[this.parts.length - 1] : undefined;
    if (last !== undefined && last.type === type && last.text.length < maxJoinedChars) {
      last.text += text;
      return;
    }
    this.parts.push({ type, text });
  }

  private firstDelta(): void {
    this.sawDelta = true;
    this.onFirstDelta?.();
  }
}
