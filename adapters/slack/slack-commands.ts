import type { CommandName, IncomingCommand } from '../../src/conversation/port.js';
import type { SlackConfig } from '../../src/config.js';
import { unescapeSlackText } from './slack-mentions.js';

/** The slash-command fields the adapter reads (form-encoded by Slack, as Bolt hands them over). */
export interface SlackSlashCommand {
  command: string;
  text: string;
  channel_id: string;
  channel_name?: string;
  user_id: string;
  user_name?: string;
  team_id: string;
  trigger_id: string;
  response_url: string;
}

/** Which engine command a configured slash command stands for; `help` when someone asks for it. */
function commandNameOf(config: Pick<SlackConfig, 'askCommand' | 'systemCommand' | 'resetCommand'>, command: SlackSlashCommand): CommandName | undefined {
  const names: Record<string, CommandName> = { [config.askCommand]: 'ask', [config.systemCommand]: 'system', [config.resetCommand]: 'reset' };
  const name = names[command.command];
  if (name === undefined) return undefined;
  return command.text.trim().toLowerCase() === 'help' ? 'help' : name;
}

/** Whether a command came from a DM with the bot (its channel ids start with D). */
function isDirectChannel(channelId: string, channelName?: string): boolean {
  return channelId.startsWith('D') || channelName === 'directmessage';
}

/** Translates a slash command for the engine; the text is parsed there. */
export function mapSlackCommand(
  config: Pick<SlackConfig, 'askCommand' | 'systemCommand' | 'resetCommand'>,
  command: SlackSlashCommand,
  teamId: string,
  receivedAt: number,
): IncomingCommand | undefined {
  const name = commandNameOf(config, command);
  if (name === undefined) return undefined;
  const isDirect = isDirectChannel(command.channel_id, command.channel_name);
  return {
    platform: 'slack',
    workspaceId: isDirect ? '' : teamId,
    channelId: command.channel_id,
    isDirect,
    author: { id: command.user_id, name: command.user_name || command.user_id },
    name,
    text: unescapeSlackText(command.text),
    commandId: command.trigger_id,
    receivedAt,
  };
}
