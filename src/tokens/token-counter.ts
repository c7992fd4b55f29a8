import type { ChatMessage, ChatRole } from '../completion/types.js';
import { countO200k } from './o200k-count.js';

/** Options of a `TokenCounter`; the defaults suit Groq's current models. */
export interface TokenCounterOptions {
  /** Tokens the chat template adds around each message (harmony: `<|start|>role<|message|>…<|end|>`). Default 4. */
  messageOverheadTokens?: number;
  /** Tokens added once per request (the assistant's turn header). Default 3. */
  promptOverheadTokens?: number;
  /** Characters per token assumed for a model without an exact tokenizer, before calibration. Default 3.2 (errs high). */
  initialCharsPerToken?: number;
  /** Weight of one observation in the moving average. Default 0.3. */
  calibrationWeight?: number;
  /** Bounds of the calibrated ratio. Default [1, 8]. */
  minCharsPerToken?: number;
  maxCharsPerToken?: number;
}

/** True for models whose text tokenizer is o200k (gpt-oss uses o200k_harmony, whose plain-text counts equal o200k_base). */
export function hasExactTokenizer(model: string): boolean {
  return /(^|\/)gpt-oss-/.test(model);
}

/**
 * Counts tokens: exactly with o200k for `openai/gpt-oss-*`; otherwise characters ÷ a ratio
 * calibrated per model from Groq's reported `usage.prompt_tokens` (an exponential moving average,
 * bounded). Counting is meant to happen once per stored message, not per request.
 */
export class TokenCounter {
  private readonly ratios = new Map<string, number>();
  private readonly messageOverhead: number;
  private readonly promptOverhead: number;
  private readonly initialRatio: number;
  private readonly weight: number;
  private readonly minRatio: number;
  private readonly maxRatio: number;

  constructor(options: TokenCounterOptions = {}) {
    this.messageOverhead = options.messageOverheadTokens ?? 4;
    this.promptOverhead = options.promptOverheadTokens ?? 3;
    this.initialRatio = options.initialCharsPerToken ?? 3.2;
    this.weight = options.calibrationWeight ?? 0.3;
    this.minRatio = options.minCharsPerToken ?? 1;
    this.maxRatio = options.maxCharsPerToken ?? 8;
  }

  /** Tokens of `text` alone for `model`. */
  count(model: string, text: string): number {
    if (text === '') return 0;
    if (hasExactTokenizer(model)) return countO200k(text);
    return Math.ceil(text.length / this.charsPerToken(model));
  }

  /** Tokens of one chat message: its content plus the template's per-message overhead. */
  countMessage(model: string, role: ChatRole, content: string): number {
    void role; // Role names are one token in every template we know; kept for templates where they differ.
    return this.count(model, content) + this.messageOverhead;
  }

  /** Tokens of a whole prompt, as Groq should report them in `usage.prompt_tokens`. */
  estimatePrompt(model: string, messages: ChatMessage[]): number {
    let total = this.promptOverhead;
    for (const message of messages) total += this.countMessage(model, message.role, message.content);
    return total;
  }

  /**
   * Learns from a finished request: `estimatedPromptTokens` is what we computed for the prompt,
   * `reportedPromptTokens` what Groq billed. Moves an estimated model's ratio toward the one that
   * would have produced the reported count; exact models are left alone.
   */
  calibrate(model: string, estimatedPromptTokens: number, reportedPromptTokens: number): void {
    if (hasExactTokenizer(model)) return;
    if (!(estimatedPromptTokens > 0) || !(reportedPromptTokens > 0)) return;
    const current = this.charsPerToken(model);
    const observed = current * (estimatedPromptTokens / reportedPromptTokens);
    const next = current + this.weight * (observed - current);
    this.ratios.set(model, Math.min(this.maxRatio, Math.max(this.minRatio, next)));
  }

  /** The characters-per-token ratio currently assumed for `model` (estimated models only). */
  charsPerToken(model: string): number {
    return this.ratios.get(model) ?? this.initialRatio;
  }

  /** True when `model` is counted exactly. */
  isExact(model: string): boolean {
    return hasExactTokenizer(model);
  }
}
