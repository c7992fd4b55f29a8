import { shorten } from '../../src/text/shorten.js';

/** Discord's limit on thread names. */
const maxThreadName = 100;

/** A thread name from the question's first line (1–100 characters). */
export function threadName(text: string, authorName: string): string {
  const firstLine = text.split('\n').find((line) => line.trim() !== '')?.replace(/\s+/g, ' ').trim() ?? '';
  const name = firstLine === '' ? `Question from ${authorName}` : firstLine;
  return shorten(name, maxThreadName);
}
