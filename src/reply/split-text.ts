import { closingLine, fenceAt, findFences, isInsideFenceLine, type FenceBlock } from './markdown-fences.js';

/** Where to finish one message and start the next. */
export interface TextCut {
  /** Index in the text where the finished part ends and the rest begins. */
  index: number;
  /** Fence line added at the end of the finished part ('' or e.g. "\n```"). */
  close: string;
  /** Fence line put at the top of the next part ('' or e.g. "```ts\n"). */
  reopen: string;
}

/** Below this, the good boundaries (paragraph, line, sentence) make parts too short to be worth it. */
const goodBoundaryShare = 0.5;

const linkPattern = /\[[^[\]\n]*\]\([^()\s]*\)/g;
/** A link still being streamed at the end of the text: "[label" or "[label](http://ex". */
const partialLinkPattern = /\[[^[\]\n]*(\]\([^()\s]*)?$/;
const sentenceEndPattern = /[.!?…]["'”’)\]*_]*$/;

/**
 * Chooses where to cut `text` so that the finished part (plus any fence line added to close a
 * code block) is at most `limit` UTF-16 code units. Prefers, from the end of the allowed range
 * backwards, a paragraph break, then a line break, then a sentence end, then any space; never
 * cuts inside a Markdown link, a fence line, a surrogate pair or a word, unless a single word is
 * longer than the limit. The separator stays with the finished part, so the parts joined (minus
 * the added fence lines) give the text back. `minIndex` keeps a reopened fence line in front.
 */
export function findCut(text: string, limit: number, minIndex = 1): TextCut {
  const blocks = findFences(text);
  const links = linkSpans(text);
  const high = Math.min(limit, text.length);
  const cutAt = (index: number): TextCut => {
    const block = fenceAt(blocks, index);
    if (block === undefined) return { index, close: '', reopen: '' };
    return { index, close: closingLine(text.slice(0, index), block), reopen: `${block.openLine}\n` };
  };
  const fits = (index: number): boolean => {
    const block = fenceAt(blocks, index);
    return index + (block === undefined ? 0 : closingLine(text.slice(0, index), block).length) <= limit;
  };
  const clean = (index: number): boolean =>
    !splitsSurrogatePair(text, index) &&
    !insideSpan(links, index) &&
    !isInsideFenceLine(blocks, index) &&
    !opensEmptyBlock(blocks, index) &&
    fits(index);

  const goodFloor = Math.max(minIndex, Math.floor(limit * goodBoundaryShare));
  const tiers: Array<(index: number) => boolean> = [
    (index) => text[index - 1] === '\n' && text[index - 2] === '\n',
    (index) => text[index - 1] === '\n',
    (index) => isWhitespace(text[index - 1]) && sentenceEndPattern.test(text.slice(Math.max(0, index - 8), index - 1)),
  ];
  for (const boundary of tiers) {
    for (let index = high; index >= goodFloor; index -= 1) {
      if (boundary(index) && clean(index)) return cutAt(index);
    }
  }
  for (let index = high; index >= minIndex; index -= 1) {
    if (isWhitespace(text[index - 1]) && clean(index)) return cutAt(index);
  }
  // One word longer than the limit: cut it, but never between the halves of a surrogate pair.
  for (let index = high; index >= minIndex; index -= 1) {
    if (!splitsSurrogatePair(text, index) && fits(index)) return cutAt(index);
  }
  return cutAt(Math.min(Math.max(minIndex, 1), text.length));
}

/**
 * Splits a whole text into parts of at most `limit` code units each, closing a code block at a
 * cut and reopening it (with its language) at the top of the next part.
 */
export function splitText(text: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text;
  let reopen = '';
  for (;;) {
    const part = reopen + rest;
    if (part.length <= limit) {
      if (rest.length > 0 || parts.length === 0) parts.push(part);
      return parts;
    }
    const cut = findCut(part, limit, reopen.length + 1);
    parts.push(part.slice(0, cut.index) + cut.close);
    rest = part.slice(cut.index);
    reopen = cut.reopen;
  }
}

function linkSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const match of text.matchAll(linkPattern)) spans.push([match.index, match.index + match[0].length]);
  const partial = partialLinkPattern.exec(text);
  if (partial) spans.push([partial.index, text.length + 1]);
  return spans;
}

function insideSpan(spans: ReadonlyArray<[number, number]>, index: number): boolean {
  return spans.some(([start, end]) => index > start && index < end);
}

function splitsSurrogatePair(text: string, index: number): boolean {
  const before = text.charCodeAt(index - 1);
  const after = text.charCodeAt(index);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}

/** A cut right after an opening fence line would leave an empty code block behind. */
function opensEmptyBlock(blocks: readonly FenceBlock[], index: number): boolean {
  return blocks.some((block) => block.openEnd === index || block.closeStart === index);
}

function isWhitespace(character: string | undefined): boolean {
  return character === ' ' || character === '\n' || character === '\t' || character === '\r';
}
