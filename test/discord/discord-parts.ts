import type { FakeMessage } from '../fakes/fake-discord.js';

/** Lines that open or close a fenced code block. */
export function fenceLineCount(text: string): number {
  return text.split('\n').filter((line) => /^\s*(```|~~~)/.test(line)).length;
}

/**
 * Joins the parts of a split answer back into text: a part ending in an added closing fence
 * and a next part starting with the reopened fence line lose both. The renderer adds the
 * closing fence with or without a line break before it (depending on the cut), so at each
 * boundary the variant that keeps the result a prefix of `expected` is taken; any mismatch
 * shows up as a difference from `expected`.
 */
export function joinParts(parts: readonly string[], expected: string): string {
  let joined = '';
  for (const [index, part] of parts.entries()) {
    const reopened = index > 0 && /```$/.test(joined) && /^```[^\n]*\n/.test(part);
    if (!reopened) {
      joined += part;
      continue;
    }
    const body = part.replace(/^```[^\n]*\n/, '');
    const candidates = [joined.replace(/\n```$/, '') + body, joined.replace(/```$/, '') + body];
    joined = candidates.find((candidate) => expected.startsWith(candidate)) ?? candidates[0]!;
  }
  return joined;
}

/** A bot reply chain: the first message replying to `questionId`, then each part replying to the last. */
export function replyChain(messages: readonly FakeMessage[], questionId: string): FakeMessage[] {
  const chain: FakeMessage[] = [];
  let previous = questionId;
  for (;;) {
    const next = messages.find((message) => message.referenceId === previous);
    if (next === undefined) return chain;
    chain.push(next);
    previous = next.id;
  }
}

/** A long Markdown answer with a code block that straddles the 2,000-character limit. */
export function longAnswerWithCode(length = 5_000): string {
  const prose = 'Write-ahead logging appends changes to a separate file before they reach the database. ';
  const code = ['```ts', ...Array.from({ length: 60 }, (_, index) => `const value${index} = compute(${index}); // step ${index}`), '```'].join('\n');
  let answer = `${prose.repeat(12)}\n\n${code}\n\n`;
  while (answer.length < length) answer += prose;
  return answer.slice(0, length).trimEnd() + '.';
}
