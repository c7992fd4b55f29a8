import { PermissionFlagsBits } from 'discord.js';

/** The permissions groqbot needs, and nothing more. */
const requiredPermissions: readonly bigint[] = [
  PermissionFlagsBits.ViewChannel,
  PermissionFlagsBits.SendMessages,
  PermissionFlagsBits.SendMessagesInThreads,
  PermissionFlagsBits.CreatePublicThreads,
  PermissionFlagsBits.ReadMessageHistory,
];

/** The permission bitfield of the invite link, as a decimal string. */
export function invitePermissions(): string {
  return requiredPermissions.reduce((bits, flag) => bits | flag, 0n).toString();
}

/** The OAuth2 link that adds the bot to a server with the scopes and permissions it needs. */
export function inviteUrl(applicationId: string): string {
  const query = new URLSearchParams({ client_id: applicationId, scope: 'bot applications.commands', permissions: invitePermissions() });
  return `https://discord.com/oauth2/authorize?${query.toString()}`;
}

/** "ManageChannels" → "Manage Channels", for refusals people can read. */
export function permissionLabel(flagName: string): string {
  return flagName.replace(/([a-z])([A-Z])/g, '$1 $2');
}
