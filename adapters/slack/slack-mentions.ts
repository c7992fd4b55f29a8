/** A zero-width space: placed after `@` it keeps the text readable while Slack no longer sees a mention. */
const zeroWidthSpace = '\u200B';

const specialMention = /<!(channel|here|everyone)(?:\|[^>]*)?>/gi;
const groupMention = /<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>/gi;
const userMention = /<@([UW][A-Z0-9]+)(?:\|([^>]*))?>/gi;
// Plain words only notify with `link_names`, which we never send; breaking them anyway costs nothing.
const plainBroadcast = /(^|[^\w@])@(channel|here|everyone)\b/gi;

/**
 * Makes text unable to notify anyone while it still reads naturally: `<!channel>` becomes `@​channel`,
 * `<@U123|ada>` becomes `@​ada`, `<!subteam^S1|@ops>` becomes `@​ops` (each with a zero-width space after `@`).
 */
export function neutraliseMentions(text: string): string {
  return text
    .replace(specialMention, (_match, name: string) => `@${zeroWidthSpace}${name.toLowerCase()}`)
    .replace(groupMention, (_match, id: string, label: string | undefined) => `@${zeroWidthSpace}${label?.trim() || id}`)
    .replace(userMention, (_match, id: string, label: string | undefined) => `@${zeroWidthSpace}${label?.trim() || id}`)
    .replace(plainBroadcast, (_match, before: string, name: string) => `${before}@${zeroWidthSpace}${name}`);
}

/** Escapes the three characters Slack's `text` field treats as control syntax, so nothing in it is a link or mention. */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Turns Slack's escaped `&lt;`, `&gt;` and `&amp;` in a user's text back into the characters they typed. */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Removes the bot's own `<@U…>` mentions from a user's message and tidies the spaces left behind. */
export function removeOwnMention(text: string, botUserId: string): string {
  const own = new RegExp(`<@${botUserId}(?:\\|[^>]*)?>`, 'g');
  return text
    .replace(own, ' ')
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/^[ \t]*[,:]?[ \t]*/, '')
    .trim();
}

/** Whether a message's text mentions the bot. */
export function mentionsUser(text: string, userId: string): boolean {
  return text.includes(`<@${userId}>`) || text.includes(`<@${userId}|`);
}
