import type { Config } from '../config.js';

/** The part of the configuration the conversation engine uses. */
export interface EngineSettings {
  model: string;
  defaultSystemPrompt: string;
  temperature?: number;
  topP?: number;
  maxCompletionTokens?: number;
  stop?: string | string[];
  reasoningEffort?: string;
  maxInputChars: number;
  historyNotice: boolean;
  historyMaxTokens?: number;
  onNewMessage: 'queue' | 'cancel';
}

/** Picks the engine's settings out of the service configuration. */
export function engineSettingsOf(config: Config): EngineSettings {
  return {
    model: config.groq.model,
    defaultSystemPrompt: config.systemPrompt,
    temperature: config.groq.temperature,
    topP: config.groq.topP,
    maxCompletionTokens: config.groq.maxCompletionTokens,
    stop: config.groq.stop,
    reasoningEffort: config.groq.reasoningEffort,
    maxInputChars: config.maxInputChars,
    historyNotice: config.historyNotice,
    historyMaxTokens: config.historyMaxTokens,
    onNewMessage: config.onNewMessage,
  };
}
