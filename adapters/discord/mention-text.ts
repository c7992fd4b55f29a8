/** Looks up display names for the mentions a message contains. */
export interface MentionNames {
  user(id: string): string | undefined;
  role(id: string): string | undefined;
  channel(id: string): string | undefined;
}

function ownMentionPattern(botId: string): RegExp {
  return new RegExp(`<@!?${botId}>`, 'g');
}

/**
 * True when the text mentions the bot as a user (`<@id>` or the legacy `<@!id>`). Deliberately
 * not `message.mentions.has(bot)`: that is also true for @everyone/@here, for roles the bot holds
 * and for reply pings, none of which should start a conversation.
 */
export function mentionsBot(content: string, botId: string): boolean {
  return ownMentionPattern(botId).test(content);
}

/** The text the model sees: the bot's own mention removed, other mentions as readable names. */
export function readableText(content: string, botId: string, names: MentionNames): string {
  return content
    .replace(new RegExp(`${ownMentionPattern(botId).source}[ \\t]?`, 'g'), '')
    .replace(/<@!?(\d+)>/g, (whole, id: string) => {
      const name = names.user(id);
      return name === undefined ? whole : `@${name}`;
    })
    .replace(/<@&(\d+)>/g, (whole, id: string) => {
      const name = names.role(id);
      return name === undefined ? whole : `@${name}`;
    })
    .replace(/<#(\d+)>/g, (whole, id: string) => {
      const name = names.channel(id);
      return name === undefined ? whole : `#${name}`;
    })
    .trim();
}
