import { describe, expect, it } from 'vitest';
import { findCut, splitText } from '../../src/reply/split-text.js';
import { fencesBalanced, markdownAnswer, reassemble } from './reply-checks.js';

describe('splitText', () => {
  it('keeps a text within the limit whole', () => {
    expect(splitText('Hello, world.', 100)).toEqual(['Hello, world.']);
  });

  it('prefers a paragraph break, keeping the separator with the finished part', () => {
    const text = `${'a '.repeat(30)}\n\n${'b '.repeat(10)}\nline two ${'c '.repeat(30)}`;
    const parts = splitText(text, 100);
    expect(parts[0]?.endsWith('\n\n')).toBe(true);
    expect(parts.join('')).toBe(text);
  });

  it('falls back to a line break, then a sentence end, then a space', () => {
    const lines = `${'word '.repeat(12)}\n${'word '.repeat(12)}`;
    expect(splitText(lines, 80)[0]?.endsWith('\n')).toBe(true);
    const sentences = `${'word '.repeat(9)}end. ${'more '.repeat(20)}`;
    expect(splitText(sentences, 80)[0]?.endsWith('end. ')).toBe(true);
    const spaces = 'word '.repeat(30);
    const parts = splitText(spaces, 80);
    expect(parts[0]?.endsWith(' ')).toBe(true);
    expect(parts.join('')).toBe(spaces);
  });

  it('never cuts inside a Markdown link', () => {
    const link = '[a link label with many words](https://example.com/some/long/path)';
    const text = `${'x'.repeat(40)} ${link} tail`;
    const parts = splitText(text, 80);
    expect(parts.some((part) => part.includes(link))).toBe(true);
    expect(parts.join('')).toBe(text);
  });

  it('hard-cuts only a word longer than the limit, never inside a surrogate pair', () => {
    const emoji = '😀'.repeat(60);
    const parts = splitText(`short ${emoji}`, 51);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(51);
      expect(/[\ud800-\udbff]$/.test(part)).toBe(false);
    }
    expect(parts[0]).toBe('short ');
    expect(parts.join('')).toBe(`short ${emoji}`);
  });

  it('closes a code block at the cut and reopens it with its language', () => {
    const code = Array.from({ length: 40 }, (_, index) => `const value${index} = ${index};`).join('\n');
    const text = `Intro.\n\n\`\`\`ts\n${code}\n\`\`\`\n\nOutro.`;
    const parts = splitText(text, 300);
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(300);
      expect(fencesBalanced(part)).toBe(true);
    }
    expect(parts[1]?.startsWith('```ts\n')).toBe(true);
    expect(reassemble(parts, text)).toBe(text);
  });

  it('reopens tilde fences and longer backtick runs as written', () => {
    const code = Array.from({ length: 30 }, (_, index) => `line ${index} with \`\`\` inside`).join('\n');
    const text = `~~~~python title\n${code}\n~~~~`;
    const parts = splitText(text, 200);
    expect(parts[1]?.startsWith('~~~~python title\n')).toBe(true);
    expect(parts[0]?.endsWith('\n~~~~')).toBe(true);
    expect(reassemble(parts, text)).toBe(text);
  });

  it.each([
    [10, 2_000],
    [5_000, 2_000],
    [20_000, 2_000],
    [20_000, 4_000],
    [5_000, 300],
  ])('splits a %i-character Markdown answer into parts of at most %i, balanced and complete', (length, limit) => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const text = length === 10 ? 'Hi there!!' : markdownAnswer(length, seed);
      const parts = splitText(text, limit);
      for (const part of parts) {
        expect(part.length).toBeLessThanOrEqual(limit);
        expect(fencesBalanced(part)).toBe(true);
      }
      expect(reassemble(parts, text)).toBe(text);
      if (text.length > limit) expect(parts.length).toBeGreaterThan(1);
    }
  });
});

describe('findCut', () => {
  it('leaves a reopened fence line in front alone', () => {
    const text = `\`\`\`js\n${'x'.repeat(200)}`;
    const cut = findCut(text, 100, 6);
    expect(cut.index).toBeGreaterThan(6);
    expect(cut.close).toBe('\n```');
    expect(cut.reopen).toBe('```js\n');
    expect(cut.index + cut.close.length).toBeLessThanOrEqual(100);
  });

  it('does not cut inside a link still being streamed', () => {
    const text = `${'word '.repeat(14)}[label with several words](https://exa`;
    const cut = findCut(text, 100);
    expect(text.slice(0, cut.index).includes('[')).toBe(false);
  });
});
