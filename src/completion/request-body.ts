import { CompletionError } from './completion-error.js';
import { isChatRole, type CompletionRequest, type RequestMessage } from './types.js';

/** Groq's wire shape of a streamed request, without its messages; only what Groq accepts, in its names. */
interface GroqRequestOptions {
  model: string;
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

/** What Groq would reject in this request, as human-readable problems; empty when it is fine. */
function requestProblems(request: CompletionRequest): string[] {
  const problems: string[] = [];
  if (typeof request.model !== 'string' || request.model === '') problems.push('model is required');
  if (!Array.isArray(request.messages) || request.messages.length === 0) {
    problems.push('messages must hold at least one message');
  } else {
    request.messages.forEach((message, index) => {
      if ('run' in message) {
        if (typeof message.run !== 'string' || message.run === '') problems.push(`messages[${index}].run must be a non-empty string`);
        if (!Number.isInteger(message.count) || message.count < 1) problems.push(`messages[${index}].count must be a positive integer`);
        return;
      }
      if (!isChatRole(message.role)) problems.push(`messages[${index}].role must be system, user or assistant`);
      if ('json' in message) {
        if (typeof message.json !== 'string') problems.push(`messages[${index}].json must be a string`);
      } else if (typeof message.content !== 'string') {
        problems.push(`messages[${index}].content must be a string`);
      }
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

/** Maps our request's options onto Groq's wire names, dropping what Groq rejects (`n`, `max_tokens`). */
function groqRequestOptions(request: CompletionRequest): GroqRequestOptions {
  const options: GroqRequestOptions = { model: request.model, stream: true };
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.topP !== undefined) options.top_p = request.topP;
  if (request.maxCompletionTokens !== undefined) options.max_completion_tokens = request.maxCompletionTokens;
  if (request.stop !== undefined) options.stop = request.stop;
  if (request.seed !== undefined) options.seed = request.seed;
  if (request.responseFormat !== undefined) options.response_format = request.responseFormat;
  if (request.reasoningEffort !== undefined) options.reasoning_effort = request.reasoningEffort;
  if (request.includeReasoning !== undefined) options.include_reasoning = request.includeReasoning;
  if (request.reasoningFormat !== undefined) options.reasoning_format = request.reasoningFormat;
  if (request.user !== undefined) options.user = request.user;
  return options;
}

/** One message as JSON (a run: its messages): an encoded one as it is; otherwise role and content only, which keeps a stray `name` (or anything else) off the wire. */
function messageJson(message: RequestMessage): string {
  if ('run' in message) return message.run;
  return 'json' in message ? message.json : JSON.stringify({ role: message.role, content: message.content });
}

/**
 * Validates and serialises a request; throws CompletionError `invalid_request` naming every problem.
 * Encoded messages go in verbatim: each must be the JSON of one `{ role, content }` object, and a
 * run that of `count` of them, comma-separated.
 */
export function encodeRequest(request: CompletionRequest): string {
  const problems = requestProblems(request);
  if (problems.length > 0) {
    throw new CompletionError({
      code: 'invalid_request',
      message: `Invalid completion request: ${problems.join('; ')}`,
      retryable: false,
    });
  }
  const messages = new Array<string>(request.messages.length);
  for (let index = 0; index < messages.length; index += 1) messages[index] = messageJson(request.messages[index]!);
  // The options always hold `model` and `stream`, so their object is never empty.
  return `{"messages":[${messages.join(',')}],${JSON.stringify(groqRequestOptions(request)).slice(1)}`;
}
