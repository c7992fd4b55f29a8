import type { CompletionError } from '../completion/completion-error.js';
import { maxSystemPromptChars } from './command-parser.js';
import type { CommandName } from './port.js';

/** What the bot does and its commands; the answer to `help` and to an empty mention. */
export function helpText(commandNames: Record<'ask' | 'system' | 'reset', string> = { ask: '/ask', system: '/system', reset: '/reset' }): string {
  return [
    "Hi! I'm groqbot: I answer with Groq's fast language models.",
    '',
    '• Mention me in a channel and I answer in a thread (a reply on Discord); keep talking there and I remember the conversation.',
    '• Message me directly for a private conversation.',
    `• \`${commandNames.ask} <question>\`: ask a one-off question; the answer starts a conversation you can continue.`,
    `• \`${commandNames.system} set <prompt>\`, \`${commandNames.system} show\`, \`${commandNames.system} clear\`: this channel's custom system prompt.`,
    `• \`${commandNames.reset}\`: in a DM, start a fresh conversation.`,
  ].join('\n');
}

/** Answer to a command whose input was empty or too long. */
export function usageText(command: CommandName, problem: string, maxInputChars: number): string {
  if (command === 'ask') {
    return problem === 'too-long'
      ? `That question is too long: the limit is ${maxInputChars.toLocaleString('en-US')} characters. Please shorten it.`
      : 'Usage: `/ask <question>`, for example `/ask What is a B-tree?`';
  }
  if (command === 'system') {
    return problem === 'too-long'
      ? `That system prompt is too long: the limit is ${maxSystemPromptChars.toLocaleString('en-US')} characters.`
      : 'Usage: `/system set <prompt>`, `/system show` or `/system clear`.';
  }
  return 'Usage: `/reset`';
}

/** Answer to a message longer than MAX_INPUT_CHARS; nothing was sent to Groq. */
export function tooLongText(length: number, maxInputChars: number): string {
  return `Your message is ${length.toLocaleString('en-US')} characters long; I can take at most ${maxInputChars.toLocaleString('en-US')}. Nothing was sent to the model, and this message will not be part of our conversation. Please shorten it or split it up.`;
}

/** How to start afresh, depending on where the conversation is. */
export function startFreshHint(isDirect: boolean): string {
  return isDirect
    ? 'Use `/reset` to start a fresh conversation.'
    : 'Start a fresh conversation by mentioning me in a new message in the channel.';
}

/** A failure before any answer text, as a person should read it. */
export function failureText(error: CompletionError, model: string, isDirect: boolean): string {
  switch (error.code) {
    case 'rate_limited': {
      const seconds = error.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
      return seconds === undefined
        ? 'Groq is rate-limiting this bot right now; please try again shortly.'
        : `Groq is rate-limiting this bot; try again in ${seconds} s.`;
    }
    case 'invalid_api_key':
    case 'permission_denied':
      return 'The bot is misconfigured: its Groq API key was refused. An admin needs to check GROQ_API_KEY.';
    case 'model_not_found':
    case 'model_decommissioned':
      return `The bot is misconfigured: model \`${model}\` is not available. An admin needs to change GROQ_MODEL.`;
    case 'request_too_large':
    case 'context_too_long':
      return `This conversation is too long for the model. ${startFreshHint(isDirect)}`;
    case 'json_invalid':
      return 'The model could not produce valid JSON for this request; please try again or rephrase.';
    case 'capacity_exceeded':
      return 'Groq is over capacity for this model right now; please try again in a moment.';
    case 'server_error':
    case 'network':
    case 'timeout':
    case 'stream_error':
      return 'Groq is unavailable right now; please try again.';
    case 'aborted':
      return 'The answer was cancelled.';
    default:
      return 'Something went wrong while asking the model; please try again.';
  }
}

/** Short reason shown after "⚠️ interrupted:" when a stream fails after text was shown. */
export function interruptionReason(error: CompletionError): string {
  switch (error.code) {
    case 'timeout':
      return 'Groq stopped sending the answer';
    case 'network':
      return 'the connection to Groq was lost';
    case 'aborted':
      return 'the answer was cancelled';
    case 'rate_limited':
      return 'Groq rate-limited the bot';
    default:
      return 'Groq reported an error';
  }
}
