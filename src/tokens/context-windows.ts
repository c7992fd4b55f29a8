/** Context windows (prompt + completion tokens) of the models we know, from Groq's model pages. */
const contextWindows: Readonly<Record<string, number>> = {
  'openai/gpt-oss-120b': 131_072,
  'openai/gpt-oss-20b': 131_072,
  'qwen/qwen3.8-27b': 131_072,
  'llama-3.3-70b-versatile': 131_072,
  'llama-3.1-8b-instant': 131_072,
};

/** The window assumed for a model missing from the table: small enough for any current Groq model. */
export const defaultContextWindow = 32_000;

/** The context window of `model`, or `defaultContextWindow` when unknown. */
export function contextWindowOf(model: string): number {
  return contextWindows[model] ?? defaultContextWindow;
}

/** True when the table knows `model`. */
export function isKnownModel(model: string): boolean {
  return Object.hasOwn(contextWindows, model);
}
