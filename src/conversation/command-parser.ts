import type { CommandName } from './port.js';

/** Longest channel system prompt accepted. */
export const maxSystemPromptChars = 4_000;

/** A command after parsing its text; the same for every platform. */
export type ParsedCommand =
  | { kind: 'ask'; question: string }
  | { kind: 'system-show' }
  | { kind: 'system-set'; prompt: string }
  | { kind: 'system-clear' }
  | { kind: 'reset' }
  | { kind: 'help' }
  | { kind: 'usage'; command: CommandName; problem: string };

/** Parses a command's text: `system set <p>`, `system <p>`, `system show`, `system clear`, `ask <q>`, … */
export function parseCommand(name: CommandName, rawText: string, maxInputChars: number): ParsedCommand {
  const text = rawText.trim();
  if (text.toLowerCase() === 'help') return { kind: 'help' };
  switch (name) {
    case 'ask':
      if (text === '') return { kind: 'usage', command: 'ask', problem: 'empty' };
      if (text.length > maxInputChars) return { kind: 'usage', command: 'ask', problem: 'too-long' };
      return { kind: 'ask', question: text };
    case 'system': {
      const [first = '', ...rest] = text.split(/\s+/);
      const verb = first.toLowerCase();
      if (text === '' || (verb === 'show' && rest.length === 0)) return { kind: 'system-show' };
      if (verb === 'clear' && rest.length === 0) return { kind: 'system-clear' };
      const prompt = verb === 'set' ? text.slice(first.length).trim() : text;
      if (prompt === '') return { kind: 'usage', command: 'system', problem: 'empty' };
      if (prompt.length > maxSystemPromptChars) return { kind: 'usage', command: 'system', problem: 'too-long' };
      return { kind: 'system-set', prompt };
    }
    case 'reset':
      return { kind: 'reset' };
    case 'help':
      return { kind: 'help' };
  }
}
