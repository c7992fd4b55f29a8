import { GroqbotError } from '../errors.js';
import type { PromptMessage } from '../store/types.js';
import { contextWindowOf, isKnownModel } from './context-windows.js';

/** Completion tokens reserved when `GROQ_MAX_COMPLETION_TOKENS` is unset. */
const defaultCompletionReservation = 4_096;

/** Inputs of `promptBudget`. */
export interface PromptBudgetOptions {
  model: string;
  /** `HISTORY_MAX_TOKENS`: a cap on prompt tokens for every model. */
  historyMaxTokens?: number;
  /** `GROQ_MAX_COMPLETION_TOKENS`; 4,096 is reserved when unset. */
  maxCompletionTokens?: number;
  /** Groq's per-minute token limit (`x-ratelimit-limit-tokens`), once known. */
  tokensPerMinuteLimit?: number;
}

/** Tokens kept free for what our counts cannot see (Groq's own preamble, estimate error): 2 % of the window, at least 128. */
export function safetyMargin(window: number): number {
  return Math.max(128, Math.ceil(window * 0.02));
}

/**
 * Prompt tokens (system prompt + history) a request may use:
 * the model's context window − the completion reservation − a margin; with `historyMaxTokens`
 * set, at most that (and for a model missing from the table, exactly that: the operator knows
 * its window better than our default); with a per-minute token limit known and smaller, at most
 * that limit − the completion reservation − the margin (Groq counts the reservation against it).
 * Never negative.
 */
export function promptBudget(options: PromptBudgetOptions): number {
  const reservation = options.maxCompletionTokens ?? defaultCompletionReservation;
  const window = contextWindowOf(options.model);
  let budget = window - reservation - safetyMargin(window);
  if (options.historyMaxTokens !== undefined) {
    budget = isKnownModel(options.model) ? Math.min(budget, options.historyMaxTokens) : options.historyMaxTokens;
  }
  if (options.tokensPerMinuteLimit !== undefined && options.tokensPerMinuteLimit > 0) {
    const perMinute = options.tokensPerMinuteLimit - reservation - safetyMargin(options.tokensPerMinuteLimit);
    // A limit smaller than the reservation itself would refuse everything: Groq's 413 says it better.
    if (perMinute > 0) budget = Math.min(budget, perMinute);
  }
  return Math.max(0, Math.floor(budget));
}

/** Inputs of `fitToBudget`. */
export interface FitToBudgetOptions {
  /** Tokens of the system message (with its overhead). */
  systemTokens: number;
  /** Prompt history, oldest first; the last element is the newest user message. */
  history: PromptMessage[];
  budget: number;
}

/** The history that fits (its messages as fields, or as the store's JSON). */
export interface FittedPrompt<Message = PromptMessage> {
  /** The newest turns that fit, oldest first (a suffix of the history). */
  messages: Message[];
  /** How many older turns were left out. */
  droppedCount: number;
  /** System tokens + the kept turns' tokens. */
  totalTokens: number;
}

/**
 * Keeps the newest turns that fit in `budget` together with the system prompt, walking from the
 * newest end (only the kept turns are visited). The newest message is always kept; when it and
 * the system prompt alone exceed the budget, throws `message_too_large` (not retryable) rather
 * than sending an empty or silently cut prompt. Stops at the first turn that does not fit, so the
 * history never has holes.
 */
export function fitToBudget(options: FitToBudgetOptions): FittedPrompt {
  const { systemTokens, history, budget } = options;
  if (history.length === 0) return { messages: [], droppedCount: 0, totalTokens: systemTokens };
  const newest = history[history.length - 1]!;
  let total = systemTokens + newest.tokenCount;
  if (total > budget) throw messageTooLarge(newest.tokenCount, systemTokens, budget);
  let start = history.length - 1;
  while (start > 0) {
    const next = total + history[start - 1]!.tokenCount;
    if (next > budget) break;
    total = next;
    start -= 1;
  }
  return { messages: history.slice(start), droppedCount: start, totalTokens: total };
}

/** The `message_too_large` error (not retryable): the newest message and the system prompt alone exceed the budget. */
export function messageTooLarge(messageTokens: number, systemTokens: number, budget: number): GroqbotError {
  return new GroqbotError(
    `the message needs about ${messageTokens} tokens (${messageTokens + systemTokens} with the system prompt), more than the ${budget} this model's prompt can hold`,
    { code: 'message_too_large', retryable: false },
  );
}
