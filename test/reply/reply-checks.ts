/**
 * Independent checks of rendered replies, written without the renderer's own fence scanner:
 * fence balance, and the answer reassembled from its parts minus the fence lines added at cuts.
 */

const fenceLine = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const addedClose = /^\n?(`{3,}|~{3,})$/;

/** True when every code fence opened in `text` is closed again. */
export function fencesBalanced(text: string): boolean {
  let open: string | undefined;
  for (const line of text.split('\n')) {
    const match = fenceLine.exec(line);
    if (!match) continue;
    const run = match[1] ?? '';
    if (open === undefined) open = run;
    else if (run[0] === open[0] && run.length >= open.length && (match[2] ?? '').trim() === '') open = undefined;
  }
  return open === undefined;
}

/**
 * Rebuilds the original from its parts: each part is the original's next slice, optionally
 * preceded by one reopening fence line and followed by one closing fence line, both added.
 * Throws with a description when the parts do not give the original back.
 */
export function reassemble(parts: readonly string[], original: string): string {
  let position = 0;
  for (const [index, part] of parts.entries()) {
    const candidates = [part];
    const firstNewline = part.indexOf('\n');
    if (index > 0 && firstNewline !== -1 && fenceLine.test(part.slice(0, firstNewline))) candidates.push(part.slice(firstNewline + 1));
    let advanced: number | undefined;
    for (const candidate of candidates) {
      const common = commonPrefixLength(candidate, original, position);
      const rest = candidate.slice(common);
      if (rest === '' || addedClose.test(rest)) {
        advanced = Math.max(advanced ?? 0, common);
      }
    }
    if (advanced === undefined) {
      throw new Error(`part ${index} does not continue the original at ${position}: ${JSON.stringify(part.slice(0, 80))}`);
    }
    position += advanced;
  }
  if (position !== original.length) throw new Error(`parts cover ${position} of ${original.length} characters`);
  return original.slice(0, position);
}

function commonPrefixLength(candidate: string, original: string, from: number): number {
  let length = 0;
  while (length < candidate.length && from + length < original.length && candidate[length] === original[from + length]) length += 1;
  return length;
}

/** A Markdown answer of about `length` characters: paragraphs, lists, links, emoji and fenced code. */
export function markdownAnswer(length: number, seed = 1): string {
  let state = seed;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const words = ['groq', 'token', 'stream', 'reply', 'édition', 'budget', 'naïve', 'message', 'fence', 'limit', 'λ', '😀', '👩‍💻', 'split'];
  const word = (): string => words[Math.floor(random() * words.length)] ?? 'word';
  const sentence = (): string => {
    const count = 4 + Math.floor(random() * 14);
    const parts: string[] = [];
    for (let index = 0; index < count; index += 1) {
      parts.push(random() < 0.05 ? `[${word()} ${word()}](https://example.com/${word()}/${index})` : word());
    }
    return `${parts.join(' ')}${random() < 0.2 ? '!' : '.'}`;
  };
  let text = '';
  while (text.length < length) {
    const kind = random();
    if (kind < 0.15) {
      const language = ['ts', 'python', '', 'js'][Math.floor(random() * 4)] ?? '';
      const fence = random() < 0.2 ? '~~~' : '```';
      const lines: string[] = [];
      const count = 3 + Math.floor(random() * 60);
      for (let index = 0; index < count; index += 1) lines.push(`  const ${word()}${index} = "${word()} ${word()}";`);
      text += `${fence}${language}\n${lines.join('\n')}\n${fence}\n\n`;
    } else if (kind < 0.3) {
      text += `- ${sentence()}\n- ${sentence()}\n- ${sentence()}\n\n`;
    } else {
      const count = 1 + Math.floor(random() * 5);
      const sentences: string[] = [];
      for (let index = 0; index < count; index += 1) sentences.push(sentence());
      text += `${sentences.join(' ')}\n\n`;
    }
  }
  // Whole blocks only, so the answer's own fences stay balanced.
  return text.trimEnd();
}
