import { CompletionError } from './completion-error.js';
import type { CompletionRequest } from './types.js';

/** Groq's wire shape of a streamed request; only what Groq accepts, in its names. */
interface GroqRequestBody {
  model: string;
  messages: Array<{ role: string; content: string }>;
  stream: true;
  temperature?: number;
  top_p?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  seed?: number;
  response_format?: CompletionRequest['responseFormat'];
  reasoning_effort?: string;
  include_reasoning?: boolean;
  reasoning_format?: string;
  user?: string;
}

const maxStopSequences = 4;
const roles = new Set(['system', 'user', 'assistant']);

/** What Groq would reject in this request, as human-readable problems; empty when it is fine. */
function requestProblems(request: CompletionRequest): string[] {
  const problems: string[] = [];
  if (typeof request.model !== 'string' || request.model === '') problems.push('model is required');
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    problems.push('messages must hold at least one message');
  } else {
    request.messages.forEach((message, index) => {
      if (!roles.has(message.role)) problems.push(`messages[${index}].role must be system, user or assistant`);
      if (typeof message.content !== 'string') problems.push(`messages[${index}].content must be a string`);
    });
  }
  if (request.n !== undefined && request.n !== 1) problems.push(`n must be 1 (got ${request.n})`);
  if (request.temperature !== undefined && !(request.temperature >= 0 && request.temperature <= 2)) {
    problems.push(`temperature must be between 0 and 2 (got ${request.temperature})`);
  }
  if (request.topP !== undefined && !(request.topP >= 0 && request.topP <= 1)) {
    problems.push(`top_p must be between 0 and 1 (got ${request.topP})`);
  }
  if (request.maxCompletionTokens !== undefined && !(Number.isInteger(request.maxCompletionTokens) && request.maxCompletionTokens > 0)) {
    problems.push(`max_completion_tokens must be a positive integer (got ${request.maxCompletionTokens})`);
  }
  if (Array.isArray(request.stop)) {
    if (request.stop.length > maxStopSequences) problems.push(`stop takes at most ${maxStopSequences} sequences (got ${request.stop.length})`);
    if (request.stop.some((sequence) => typeof sequence !== 'string')) problems.push('stop sequences must be strings');
  } else if (request.stop !== undefined && typeof request.stop !== 'string') {
    problems.push('stop must be a string or an array of strings');
  }
  if (request.seed !== undefined && !Number.isInteger(request.seed)) problems.push(`seed must be an integer (got ${request.seed})`);
  if (request.includeReasoning !== undefined && request.reasoningFormat !== undefined) {
    problems.push('include_reasoning and reasoning_format cannot be sent together');
  }
  return problems;
}

/** Maps our request onto Groq's wire names, dropping what Groq rejects (`n`, message `name`, `max_tokens`). */
function groqRequestBody(request: CompletionRequest): GroqRequestBody {
  const body: GroqRequestBody = {
    model: request.model,
    // Copying role and content only keeps a stray `name` (or anything else) off the wire.
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
    stream: true,
  };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.maxCompletionTokens !== undefined) body.max_completion_tokens = request.maxCompletionTokens;
  if (request.stop !== undefined) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.responseFormat !== undefined) body.response_format = request.responseFormat;
  if (request.reasoningEffort !== undefined) body.reasoning_effort = request.reasoningEffort;
  if (request.includeReasoning !== undefined) body.include_reasoning = request.includeReasoning;
  if (request.reasoningFormat !== undefined) body.reasoning_format = request.reasoningFormat;
  if (request.user !== undefined) body.user = request.user;
  return body;
}

/** Validates and serialises a request; throws CompletionError `invalid_request` naming every problem. */
export function encodeRequest(request: CompletionRequest): string {
  const problems = requestProblems(request);
  if (problems.length > 0) {
    throw new CompletionError({
      code: 'invalid_request',
      message: `Invalid completion request: ${problems.join('; ')}`,
      retryable: false,
    });
  }
  return JSON.stringify(groqRequestBody(request));
}
