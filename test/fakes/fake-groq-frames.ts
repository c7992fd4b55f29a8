// SSE frames shaped byte for byte like test/fakes/fixtures/groq/*.sse (Groq's streamed chat completions).
import { randomUUID } from 'node:crypto';

/** Identity of one streamed completion, repeated in every frame. */
export interface StreamIdentity {
  completionId: string;
  requestId: string;
  model: string;
  created: number;
  systemFingerprint: string;
}

/** Usage numbers as Groq reports them on the finish chunk. */
export interface FrameUsage {
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens?: number;
}

/** Groq's in-stream error object. */
export interface FrameError {
  message: string;
  type?: string;
  code?: string;
  status_code?: number;
}

/** The last frame of every successful stream. */
export const doneFrame = 'data: [DONE]\n\n';

const pieces = /\s*[\p{L}\p{N}_'’]+|\s*[^\s\p{L}\p{N}_'’]|\s+$/gu;

/** Splits text into token-like chunks the way the fake streams it (word pieces keeping leading spaces); concatenation equals the text. */
export function tokenize(text: string): string[] {
  const chunks = text.match(pieces) ?? [];
  // Belt and braces: the pattern covers every character, but a stream must never lose text.
  return chunks.join('') === text ? chunks : text === '' ? [] : [text];
}

/** A fresh identity with ids in Groq's formats. */
export function newStreamIdentity(model: string, sequence: number): StreamIdentity {
  const suffix = `${Date.now().toString(36)}${sequence.toString(36).padStart(6, '0')}`.padEnd(26, '0').slice(0, 26);
  return {
    completionId: `chatcmpl-${randomUUID()}`,
    requestId: `req_${suffix}`,
    model,
    created: Math.floor(Date.now() / 1000),
    systemFingerprint: 'fp_4b6a61d0b6',
  };
}

function frame(identity: StreamIdentity, delta: Record<string, string>, finishReason: string | null, extra: string): string {
  const head = `{"id":"${identity.completionId}","object":"chat.completion.chunk","created":${identity.created},"model":${JSON.stringify(identity.model)},"system_fingerprint":"${identity.systemFingerprint}"`;
  const choices = `"choices":[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finishReason === null ? 'null' : `"${finishReason}"`}}]`;
  return `data: ${head},${choices}${extra}}\n\n`;
}

/** The first frame: the assistant role, empty content, and `x_groq.id`. */
export function roleFrame(identity: StreamIdentity): string {
  return frame(identity, { role: 'assistant', content: '' }, null, `,"x_groq":${JSON.stringify({ id: identity.requestId })}`);
}

/** One answer chunk (`delta.content`). */
export function contentFrame(identity: StreamIdentity, text: string): string {
  return frame(identity, { content: text }, null, '');
}

/** One reasoning chunk (`delta.reasoning`, as gpt-oss streams it). */
export function reasoningFrame(identity: StreamIdentity, text: string): string {
  return frame(identity, { reasoning: text }, null, '');
}

/** The finish frame: the reason, and usage in `x_groq.usage` and (unless told otherwise) `usage`. */
export function finishFrame(identity: StreamIdentity, reason: 'stop' | 'length', usage: FrameUsage, usageOnlyInXGroq = false): string {
  const completionTime = Math.round(usage.completion_tokens / 500 * 1000) / 1000;
  const body: Record<string, unknown> = {
    queue_time: 0.012,
    prompt_tokens: usage.prompt_tokens,
    prompt_time: 0.003,
    completion_tokens: usage.completion_tokens,
    completion_time: completionTime,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    total_time: Math.round((0.003 + completionTime) * 1000) / 1000,
  };
  if (usage.reasoning_tokens !== undefined) body.completion_tokens_details = { reasoning_tokens: usage.reasoning_tokens };
  const usageJson = JSON.stringify(body);
  const xGroq = `,"x_groq":{"id":"${identity.requestId}","usage":${usageJson}}`;
  return frame(identity, {}, reason, usageOnlyInXGroq ? xGroq : `${xGroq},"usage":${usageJson}`);
}

/** An `event: error` frame, as Groq sends a failure after the 200. */
export function errorEventFrame(error: FrameError): string {
  return `event: error\ndata: ${JSON.stringify({ error })}\n\n`;
}
