/** Cuts `text` to at most `limit` UTF-16 units, ending with "…", never splitting a surrogate pair. */
export function shorten(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = Math.max(0, limit - 1);
  // A cut between a high and a low surrogate would leave half an emoji.
  const code = text.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end).trimEnd()}…`;
}
