import { isChatRole } from '../completion/types.js';
import type { EncodedPromptMessage } from './types.js';

/**
 * Reads the history SQLite wrote as one string: newline-separated records of
 * "id turn tokenCount role json". Undefined when a record is malformed or out of (turn, id) order,
 * so the caller can fall back to reading rows.
 */
export function parseHistoryRecords(text: string): EncodedPromptMessage[] | undefined {
  const messages: EncodedPromptMessage[] = [];
  // group_concat puts separators only between records.
  if (text.endsWith('\n')) return undefined;
  let previousTurn = -Infinity;
  let previousId = -Infinity;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const afterId = text.indexOf(' ', start);
    const afterTurn = text.indexOf(' ', afterId + 1);
    const afterTokens = text.indexOf(' ', afterTurn + 1);
    const afterRole = text.indexOf(' ', afterTokens + 1);
    if (afterId < 0 || afterTurn < 0 || afterTokens < 0 || afterRole < 0 || afterRole >= end) return undefined;
    const id = Number(text.slice(start, afterId));
    const turn = Number(text.slice(afterId + 1, afterTurn));
    const tokenCount = Number(text.slice(afterTurn + 1, afterTokens));
    const role = text.slice(afterTokens + 1, afterRole);
    if (!Number.isInteger(id) || !Number.isInteger(turn) || !Number.isInteger(tokenCount) || !isChatRole(role)) return undefined;
    if (turn < previousTurn || (turn === previousTurn && id <= previousId)) return undefined;
    previousTurn = turn;
    previousId = id;
    messages.push({ id, role, json: text.slice(afterRole + 1, end), tokenCount });
    start = end + 1;
  }
  return messages;
}
