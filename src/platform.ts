/** The chat platforms groqbot speaks to. */
export type Platform = 'slack' | 'discord';

/** Every platform, in a fixed order (metrics labels, health output). */
export const platforms: readonly Platform[] = ['slack', 'discord'];

/** Identifies one conversation: a Slack thread, a Discord reply chain or thread, or a DM. */
export interface ConversationKey {
  platform: Platform;
  /** Slack team id, Discord guild id; '' for DMs. */
  workspaceId: string;
  channelId: string;
  /** Slack thread ts, Discord thread id or reply-chain root message id, or the DM channel id. */
  threadKey: string;
}

/** A message the bot posted on a platform; enough to edit it again later (crash recovery). */
export interface PostedMessageRef {
  channelId: string;
  messageId: string;
  /** Opaque adapter data needed to edit it later (e.g. a Discord interaction webhook token). */
  handle?: string;
}
