import { ApplicationCommandOptionType, ApplicationCommandType, Routes, type REST } from 'discord.js';
import type { Logger } from '../../src/logger.js';

/** One option of a slash command, in the API's shape. */
export interface CommandOptionDefinition {
  type: ApplicationCommandOptionType;
  name: string;
  description: string;
  required?: boolean;
  max_length?: number;
  options?: CommandOptionDefinition[];
}

/** A slash command, in the API's shape (the body of `PUT /applications/{id}/commands`). */
export interface CommandDefinition {
  type: ApplicationCommandType;
  name: string;
  description: string;
  options?: CommandOptionDefinition[];
}

const text = ApplicationCommandOptionType.String;
const subcommand = ApplicationCommandOptionType.Subcommand;

/** The commands groqbot registers: /ask, /system set|show|clear, /reset. */
export const slashCommands: CommandDefinition[] = [
  {
    type: ApplicationCommandType.ChatInput,
    name: 'ask',
    description: 'Ask groqbot a question; the answer streams in here',
    options: [
      { type: text, name: 'question', description: 'What you want to know', required: true, max_length: 6000 },
      { type: text, name: 'system', description: 'A one-off system prompt for this question only', required: false, max_length: 6000 },
    ],
  },
  {
    type: ApplicationCommandType.ChatInput,
    name: 'system',
    description: "Show, set or clear this channel's system prompt",
    options: [
      {
        type: subcommand,
        name: 'set',
        description: "Set this channel's system prompt",
        options: [{ type: text, name: 'prompt', description: 'The system prompt for new conversations here', required: true, max_length: 6000 }],
      },
      { type: subcommand, name: 'show', description: "Show this channel's system prompt" },
      { type: subcommand, name: 'clear', description: "Go back to the default system prompt in this channel" },
    ],
  },
  {
    type: ApplicationCommandType.ChatInput,
    name: 'reset',
    description: 'Start a fresh conversation (in a DM with groqbot)',
  },
];

function normalizedOptions(options: unknown): unknown[] {
  if (!Array.isArray(options)) return [];
  return options.map((option: Record<string, unknown>) => ({
    type: option.type,
    name: option.name,
    description: option.description,
    required: option.required === true,
    max_length: option.max_length ?? null,
    options: normalizedOptions(option.options),
  }));
}

/** The fields we set, with Discord's defaults filled in, so a registered set compares equal to ours. */
function normalized(commands: readonly unknown[]): string {
  const shaped = commands
    .map((command) => command as Record<string, unknown>)
    .map((command) => ({
      type: command.type ?? ApplicationCommandType.ChatInput,
      name: command.name,
      description: command.description,
      options: normalizedOptions(command.options),
    }))
    .sort((left, right) => String(left.name).localeCompare(String(right.name)));
  return JSON.stringify(shaped);
}

/** True when what Discord has registered is exactly our command set. */
export function sameCommands(registered: readonly unknown[], ours: readonly CommandDefinition[]): boolean {
  return normalized(registered) === normalized(ours);
}

/** What registration did in one scope. */
export type RegistrationOutcome = 'registered' | 'unchanged';

async function syncScope(rest: REST, route: `/${string}`, commands: CommandDefinition[]): Promise<RegistrationOutcome> {
  const registered = await rest.get(route);
  if (Array.isArray(registered) && sameCommands(registered, commands)) return 'unchanged';
  await rest.put(route, { body: commands });
  return 'registered';
}

/**
 * Registers the slash commands globally (and in `guildId`, where changes apply at once), skipping
 * each scope whose registered set already matches: a restart costs two GETs, not a re-registration.
 */
export async function registerCommands(options: {
  rest: REST;
  applicationId: string;
  guildId?: string;
  logger: Logger;
  commands?: CommandDefinition[];
}): Promise<{ global: RegistrationOutcome; guild?: RegistrationOutcome }> {
  const commands = options.commands ?? slashCommands;
  const global = await syncScope(options.rest, Routes.applicationCommands(options.applicationId), commands);
  options.logger.info({ scope: 'global', outcome: global }, 'slash commands');
  if (options.guildId === undefined) return { global };
  const guild = await syncScope(options.rest, Routes.applicationGuildCommands(options.applicationId, options.guildId), commands);
  options.logger.info({ scope: 'guild', guildId: options.guildId, outcome: guild }, 'slash commands');
  return { global, guild };
}
