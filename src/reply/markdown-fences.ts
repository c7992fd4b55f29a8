/** A fenced code block (``` or ~~~) found in a Markdown text. */
export interface FenceBlock {
  /** Index where the opening fence line starts. */
  openStart: number;
  /** Index just after the opening fence line (after its newline, or the text end). */
  openEnd: number;
  /** The opening line as written, without trailing whitespace (e.g. "```ts"), to reopen the block. */
  openLine: string;
  /** The fence run that closes this block (e.g. "```"). */
  closeFence: string;
  /** Index where the closing fence line starts; undefined while the block is still open. */
  closeStart: number | undefined;
  /** Index just after the closing fence line; undefined while the block is still open. */
  closeEnd: number | undefined;
}

const fenceLinePattern = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/**
 * Finds every fenced code block, CommonMark style: an opening line of three or more backticks
 * or tildes (with an optional info string), closed by a line of the same character at least as
 * long. The last line counts even without a newline, because streamed text ends mid-line.
 */
export function findFences(text: string): FenceBlock[] {
  const blocks: FenceBlock[] = [];
  let open: FenceBlock | undefined;
  let openRun = '';
  let lineStart = 0;
  while (lineStart < text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline + 1;
    const line = text.slice(lineStart, newline === -1 ? text.length : newline).replace(/\r$/, '');
    const match = fenceLinePattern.exec(line);
    if (match) {
      const run = match[1] ?? '';
      const info = match[2] ?? '';
      if (open === undefined) {
        // A backtick fence's info string may not contain backticks (that is inline code).
        if (!(run.startsWith('`') && info.includes('`'))) {
          open = {
            openStart: lineStart,
            openEnd: lineEnd,
            openLine: line.trimEnd(),
            closeFence: run,
            closeStart: undefined,
            closeEnd: undefined,
          };
          openRun = run;
        }
      } else if (run[0] === openRun[0] && run.length >= openRun.length && info.trim() === '') {
        open.closeStart = lineStart;
        open.closeEnd = lineEnd;
        blocks.push(open);
        open = undefined;
      }
    }
    lineStart = lineEnd;
  }
  if (open !== undefined) blocks.push(open);
  return blocks;
}

/** The block that a cut at `index` would fall inside (after its opening line, before its closing line ends). */
export function fenceAt(blocks: readonly FenceBlock[], index: number): FenceBlock | undefined {
  for (const block of blocks) {
    if (index < block.openEnd) return undefined;
    if (block.closeEnd === undefined || index < block.closeEnd) return block;
  }
  return undefined;
}

/** True when `index` falls strictly inside a fence line (splitting it would break the fence). */
export function isInsideFenceLine(blocks: readonly FenceBlock[], index: number): boolean {
  for (const block of blocks) {
    if (index > block.openStart && index < block.openEnd) return true;
    if (block.closeStart !== undefined && block.closeEnd !== undefined && index > block.closeStart && index < block.closeEnd) {
      return true;
    }
  }
  return false;
}

/** The line that closes `block` when a text is cut right after `head` (a newline first if needed). */
export function closingLine(head: string, block: FenceBlock): string {
  return (head.endsWith('\n') || head.length === 0 ? '' : '\n') + block.closeFence;
}

/** The closing line a text needs at its end to leave no code block open ('' when none is open). */
export function closingLineAtEnd(text: string): string {
  const block = fenceAt(findFences(text), text.length);
  return block === undefined ? '' : closingLine(text, block);
}
