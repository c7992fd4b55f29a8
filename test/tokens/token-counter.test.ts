import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { contextWindowOf, defaultContextWindow } from '../../src/tokens/context-windows.js';
import { countO200k } from '../../src/tokens/o200k-count.js';
import { hasExactTokenizer, TokenCounter } from '../../src/tokens/token-counter.js';

const gptOss = 'openai/gpt-oss-120b';

describe('o200k counts', () => {
  // Known o200k_base counts (tiktoken's o200k_base gives the same).
  it.each([
    ['hello world', 2],
    ['Hello, world!', 4],
    ['The quick brown fox jumps over the lazy dog.', 10],
    ['1234567890', 4],
    ['', 0],
  ])('%j is %i tokens for gpt-oss', (text, expected) => {
    expect(new TokenCounter().count(gptOss, text)).toBe(expected);
    expect(new TokenCounter().count('openai/gpt-oss-20b', text)).toBe(expected);
  });

  it('treats special-token text in user input as plain text instead of throwing', () => {
    expect(countO200k('<|endoftext|>')).toBe(encode('<|endoftext|>', { disallowedSpecial: new Set() }).length);
    expect(countO200k('<|endoftext|>')).toBeGreaterThan(1);
  });

  it('counts long prose in chunks exactly as in one piece', () => {
    const words = ['alpha', 'beta,', 'Gamma', "don't", '42', '3.14', 'émigré', '日本語', '(x)', '\n\n', '  ', 'end.'];
    const text = Array.from({ length: 2_500 }, (_, index) => words[(index * 7) % words.length]).join(' ');
    expect(text.length).toBeGreaterThan(10_000);
    expect(countO200k(text)).toBe(encode(text, { disallowedSpecial: new Set() }).length);
  });

  it('counts a long unbroken blob in bounded time and close to the exact count', () => {
    const blob = Array.from({ length: 8_000 }, (_, index) => String.fromCharCode(97 + ((index * 7) % 26))).join('');
    const exact = encode(blob).length;
    const counted = countO200k(blob);
    expect(Math.abs(counted - exact)).toBeLessThanOrEqual(Math.ceil(blob.length / 1_000) * 2);
  });
});

describe('TokenCounter', () => {
  it('uses the exact tokenizer only for gpt-oss', () => {
    expect(hasExactTokenizer('openai/gpt-oss-120b')).toBe(true);
    expect(hasExactTokenizer('openai/gpt-oss-safeguard-20b')).toBe(true);
    expect(hasExactTokenizer('meta-llama/llama-4-scout-17b-16e-instruct')).toBe(false);
    expect(hasExactTokenizer('qwen/qwen3.8-27b')).toBe(false);
  });

  it('adds the per-message overhead, and a per-prompt one', () => {
    const counter = new TokenCounter({ messageOverheadTokens: 4, promptOverheadTokens: 3 });
    expect(counter.countMessage(gptOss, 'user', 'hello world')).toBe(6);
    expect(
      counter.estimatePrompt(gptOss, [
        { role: 'system', content: 'hello world' },
        { role: 'user', content: 'Hello, world!' },
      ]),
    ).toBe(3 + 6 + 8);
  });

  it('estimates other models from characters and calibrates the ratio toward reported usage, bounded', () => {
    const model = 'qwen/qwen3.8-27b';
    const counter = new TokenCounter({ initialCharsPerToken: 4, calibrationWeight: 0.5, minCharsPerToken: 1, maxCharsPerToken: 8 });
    const text = 'a'.repeat(400);
    expect(counter.count(model, text)).toBe(100);
    // We estimated 100, Groq billed 200: the true ratio is 2 chars/token; half way there is 3.
    counter.calibrate(model, 100, 200);
    expect(counter.charsPerToken(model)).toBeCloseTo(3, 10);
    expect(counter.count(model, text)).toBe(134);
    for (let index = 0; index < 30; index += 1) counter.calibrate(model, counter.count(model, text), 200);
    // Counts are whole tokens, so it settles within rounding of the true ratio.
    expect(counter.charsPerToken(model)).toBeCloseTo(2, 1);
    // Absurd reports move it only to the bound.
    for (let index = 0; index < 30; index += 1) counter.calibrate(model, 100, 1_000_000);
    expect(counter.charsPerToken(model)).toBe(1);
    // Other models keep their own ratio; exact models ignore calibration; nonsense is ignored.
    expect(counter.charsPerToken('llama-3.1-8b-instant')).toBe(4);
    counter.calibrate(gptOss, 100, 400);
    expect(counter.count(gptOss, 'hello world')).toBe(2);
    counter.calibrate('llama-3.1-8b-instant', 0, 10);
    expect(counter.charsPerToken('llama-3.1-8b-instant')).toBe(4);
  });
});

describe('context windows', () => {
  it('knows the current models and defaults unknown ones to 32,000', () => {
    expect(contextWindowOf('openai/gpt-oss-120b')).toBe(131_072);
    expect(contextWindowOf('openai/gpt-oss-20b')).toBe(131_072);
    expect(contextWindowOf('qwen/qwen3.8-27b')).toBe(131_072);
    expect(contextWindowOf('llama-3.3-70b-versatile')).toBe(131_072);
    expect(contextWindowOf('llama-3.1-8b-instant')).toBe(131_072);
    expect(contextWindowOf('someone/new-model')).toBe(32_000);
    expect(defaultContextWindow).toBe(32_000);
  });
});
