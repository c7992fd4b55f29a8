import { closingLineAtEnd } from './markdown-fences.js';

const fenceLinePattern = /^ {0,3}(`{3,}|~{3,})/;

/** Shown after the text while the answer is still streaming (llmcord's marker). */
export const streamingMarker = ' ⚪';

/** Placeholder posted as the sign of life on targets without a typing indicator. */
export const typingPlaceholder = '⏳';

/** Placeholder while the model reasons and no answer text exists yet. */
export const thinkingPlaceholder = '_thinking…_';

/** Shown when an answer completed without any text and without a note. */
export const emptyAnswerText = '_(empty answer)_';

/** An interim text: the body, a line closing an open code block so it renders, then the marker. */
export function interimText(body: string): { text: string; withoutMarker: string } {
  const close = closingLineAtEnd(body);
  const lastLine = body.slice(body.lastIndexOf('\n') + 1);
  // A closing fence line may carry nothing after it, so there the marker goes on its own line.
  const afterFence = close !== '' || fenceLinePattern.test(lastLine);
  const marker = afterFence ? `\n${streamingMarker.trimStart()}` : streamingMarker;
  return { text: body + close + marker, withoutMarker: body + close };
}

/** The text added below the answer when a reply ends, so that answer + suffix is what stays. */
export function endingSuffix(
  answer: string,
  ending: { kind: 'complete'; note?: string } | { kind: 'interrupt'; reason: string } | { kind: 'fail'; message: string },
): string {
  const hasText = answer.trim() !== '';
  // An answer cut off inside a code block gets it closed, or the notice would render as code.
  const separator = hasText ? `${closingLineAtEnd(answer)}\n\n` : '';
  switch (ending.kind) {
    case 'complete':
      if (ending.note !== undefined && ending.note.trim() !== '') return `${separator}_${ending.note.trim()}_`;
      return hasText ? '' : emptyAnswerText;
    case 'interrupt':
      return `${separator}⚠️ interrupted: ${ending.reason}`;
    case 'fail':
      return hasText ? `${separator}⚠️ ${ending.message}` : ending.message;
  }
}
