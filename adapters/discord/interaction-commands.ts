import { ChannelType, type ChatInputCommandInteraction } from 'discord.js';
import type { AskAnswerPlace, CommandName, CommandResponder, IncomingCommand } from '../../src/conversation/port.js';
import type { Logger } from '../../src/logger.js';
import { discordMaxLength } from './channel-reply-target.js';
import { toPlatformError } from './discord-errors.js';
import { ephemeralFlag, type DiscordRest } from './discord-rest.js';
import { InteractionReplyTarget } from './interaction-reply-target.js';

/** Our slash commands and the engine command each maps to. */
const commandNames: Record<string, CommandName> = { ask: 'ask', system: 'system', reset: 'reset' };

/** The engine command a slash command stands for, or undefined for commands that are not ours. */
export function commandNameOf(interaction: ChatInputCommandInteraction): CommandName | undefined {
  return commandNames[interaction.commandName];
}

/** Everything after the command name, in the form the engine parses (`set <prompt>`, `show`, …). */
function commandText(name: CommandName, interaction: ChatInputCommandInteraction): string {
  switch (name) {
    case 'ask':
      return interaction.options.getString('question') ?? '';
    case 'system': {
      const sub = interaction.options.getSubcommand(false) ?? 'show';
      return sub === 'set' ? `set ${interaction.options.getString('prompt') ?? ''}` : sub;
    }
    default:
      return '';
  }
}

/** Translates a slash command into the engine's IncomingCommand. */
export function translateCommand(interaction: ChatInputCommandInteraction, name: CommandName, receivedAt: number): IncomingCommand {
  const channel = interaction.channel;
  const isDirect = !interaction.inGuild() || channel?.type === ChannelType.DM;
  const systemPrompt = name === 'ask' ? (interaction.options.getString('system') ?? undefined) : undefined;
  const member = interaction.inCachedGuild() ? interaction.member : undefined;
  return {
    platform: 'discord',
    workspaceId: isDirect ? '' : (interaction.guildId ?? ''),
    channelId: interaction.channelId,
    parentChannelId: channel?.isThread() ? (channel.parentId ?? undefined) : undefined,
    isDirect,
    author: { id: interaction.user.id, name: member?.displayName ?? interaction.user.displayName },
    name,
    text: commandText(name, interaction),
    systemPrompt,
    commandId: interaction.id,
    receivedAt,
  };
}

/** Splits a private answer into message-sized chunks, at line breaks where possible. */
export function chunkText(text: string, limit: number = discordMaxLength): string[] {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const cut = rest.lastIndexOf('\n', limit);
    const at = cut > limit / 2 ? cut : limit;
    chunks.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, '');
  }
  chunks.push(rest);
  return chunks;
}

/** Options for answering one slash command. */
export interface InteractionResponderOptions {
  rest: DiscordRest;
  interaction: ChatInputCommandInteraction;
  /** True when the deferral was ephemeral (system, reset); /ask defers publicly. */
  ephemeral: boolean;
  /** A DM: an /ask answer joins the DM's one running conversation (keyed by the channel). */
  isDirect: boolean;
  receivedAt: number;
  editIntervalMs: number;
  editsPer5s: number;
  tokenWindowMs?: number;
  logger: Logger;
}

/**
 * Answers a deferred slash command: `respond` privately (editing an ephemeral deferral, or
 * replacing a public one by an ephemeral follow-up), `openAnswer` streams into the response.
 */
export class InteractionResponder implements CommandResponder {
  private originalUsed = false;

  constructor(private readonly options: InteractionResponderOptions) {}

  /** A private answer to the person who ran the command. */
  async respond(text: string): Promise<void> {
    const { rest, interaction } = this.options;
    const applicationId = interaction.applicationId;
    try {
      for (const chunk of chunkText(text)) {
        if (!this.originalUsed && this.options.ephemeral) {
          this.originalUsed = true;
          await rest.editWebhookMessage(applicationId, interaction.token, '@original', chunk);
          continue;
        }
        if (!this.originalUsed) {
          // The public "thinking…" placeholder must not stay behind; the answer itself goes privately.
          this.originalUsed = true;
          await rest.deleteWebhookMessage(applicationId, interaction.token, '@original').catch((error: unknown) => {
            this.options.logger.debug({ err: toPlatformError(error, 'delete deferred response') }, 'could not delete deferred response');
          });
        }
        await rest.postWebhookMessage(applicationId, interaction.token, chunk, ephemeralFlag);
      }
    } catch (error) {
      throw toPlatformError(error, 'answer command');
    }
  }

  /** Opens the place an /ask answer streams into: the deferred response. */
  async openAnswer(question: string): Promise<AskAnswerPlace> {
    const { interaction } = this.options;
    this.originalUsed = true;
    const target = new InteractionReplyTarget({
      rest: this.options.rest,
      applicationId: interaction.applicationId,
      interactionId: interaction.id,
      token: interaction.token,
      channelId: interaction.channelId,
      question,
      receivedAt: this.options.receivedAt,
      editIntervalMs: this.options.editIntervalMs,
      editsPer5s: this.options.editsPer5s,
      tokenWindowMs: this.options.tokenWindowMs,
    });
    // In guilds, follow-ups arrive as replies to the answer's messages, which the store indexes.
    const threadKey = this.options.isDirect ? interaction.channelId : interaction.id;
    return { channelId: interaction.channelId, threadKey, questionMessageId: interaction.id, target };
  }
}
