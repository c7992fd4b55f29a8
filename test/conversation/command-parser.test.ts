import { describe, expect, it } from 'vitest';
import { maxSystemPromptChars, parseCommand } from '../../src/conversation/command-parser.js';

describe('parseCommand', () => {
  it('parses the system verbs, and a bare prompt as set', () => {
    expect(parseCommand('system', '', 100)).toEqual({ kind: 'system-show' });
    expect(parseCommand('system', ' show ', 100)).toEqual({ kind: 'system-show' });
    expect(parseCommand('system', 'clear', 100)).toEqual({ kind: 'system-clear' });
    expect(parseCommand('system', 'set Be brief.\nAlways.', 100)).toEqual({ kind: 'system-set', prompt: 'Be brief.\nAlways.' });
    expect(parseCommand('system', 'You are a pirate.', 100)).toEqual({ kind: 'system-set', prompt: 'You are a pirate.' });
    expect(parseCommand('system', 'show me the way', 100)).toEqual({ kind: 'system-set', prompt: 'show me the way' });
    expect(parseCommand('system', 'set', 100)).toEqual({ kind: 'usage', command: 'system', problem: 'empty' });
  });

  it('caps a system prompt at 4,000 characters', () => {
    expect(parseCommand('system', `set ${'x'.repeat(maxSystemPromptChars)}`, 100).kind).toBe('system-set');
    expect(parseCommand('system', `set ${'x'.repeat(maxSystemPromptChars + 1)}`, 100)).toEqual({ kind: 'usage', command: 'system', problem: 'too-long' });
  });

  it('checks ask for empty and over-long questions', () => {
    expect(parseCommand('ask', '  What is SQLite? ', 100)).toEqual({ kind: 'ask', question: 'What is SQLite?' });
    expect(parseCommand('ask', '   ', 100)).toEqual({ kind: 'usage', command: 'ask', problem: 'empty' });
    expect(parseCommand('ask', 'x'.repeat(101), 100)).toEqual({ kind: 'usage', command: 'ask', problem: 'too-long' });
  });

  it('answers help for any command given "help"', () => {
    expect(parseCommand('ask', 'help', 100)).toEqual({ kind: 'help' });
    expect(parseCommand('system', 'HELP', 100)).toEqual({ kind: 'help' });
    expect(parseCommand('reset', '', 100)).toEqual({ kind: 'reset' });
  });
});
