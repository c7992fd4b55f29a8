import type { ConversationKey, Platform } from '../platform.js';
import type { AnswerJob } from './answer-runner.js';
import { parseCommand } from './command-parser.js';
import type { ConversationEngineOptions } from './conversation-engine.js';
import { helpText, usageText } from './human-messages.js';
import type { ChatAdapter, CommandResponder, IncomingCommand } from './port.js';
import { resolveSystemPrompt } from './system-prompt.js';
import { UserTurn } from './user-turn.js';

/** What the command handler borrows from the engine. */
export interface CommandHandlerDependencies {
  options: ConversationEngineOptions;
  adapterOf(platform: Platform): ChatAdapter;
  queueAnswer(job: AnswerJob): void;
}

/** Runs `ask`, `system`, `reset` and `help`, the same for every platform. */
export class CommandHandler {
  constructor(private readonly dependencies: CommandHandlerDependencies) {}

  /** Answers one command through its responder; `ask` queues an answer like a message. */
  async handle(command: IncomingCommand, responder: CommandResponder): Promise<void> {
    const { repository, settings } = this.dependencies.options;
    if (!repository.recordEvent(command.platform, `command:${command.commandId}`)) return;
    const parsed = parseCommand(command.name, command.text, settings.maxInputChars);
    const workspaceId = command.isDirect ? '' : command.workspaceId;
    switch (parsed.kind) {
      case 'help':
        await responder.respond(this.helpFor(command.platform));
        return;
      case 'usage':
        await responder.respond(usageText(parsed.command, parsed.problem, settings.maxInputChars));
        return;
      case 'reset': {
        if (!command.isDirect) {
          await responder.respond(
            'Each thread or reply chain is its own conversation: to start fresh, mention me in a new message in the channel. `/reset` starts a fresh conversation in a DM.',
          );
          return;
        }
        repository.resetConversation({ platform: command.platform, workspaceId, channelId: command.channelId, threadKey: command.channelId });
        await responder.respond('Done: your next message starts a fresh conversation. The earlier one is no longer part of what I see.');
        return;
      }
      case 'system-show': {
        const resolved = resolveSystemPrompt({
          platform: command.platform,
          workspaceId,
          channelId: command.channelId,
          parentChannelId: command.parentChannelId,
          defaultPrompt: settings.defaultSystemPrompt,
          lookup: (platform, workspace, channel) => repository.getChannelSystemPrompt(platform, workspace, channel),
        });
        const text =
          resolved.source === 'default'
            ? `No custom system prompt is set in this channel. The default is:\n> ${quote(resolved.prompt)}`
            : `This channel's system prompt${resolved.source === 'parent-channel' ? ' (inherited from the parent channel)' : ''}:\n> ${quote(resolved.prompt)}`;
        await responder.respond(text);
        return;
      }
      case 'system-set':
      case 'system-clear': {
        const adapter = this.dependencies.adapterOf(command.platform);
        if (!(await adapter.maySetSystemPrompt(command))) {
          await responder.respond(`Sorry, only ${adapter.systemPromptAuthority} can change this channel's system prompt.`);
          return;
        }
        if (parsed.kind === 'system-set') {
          repository.setChannelSystemPrompt(command.platform, workspaceId, command.channelId, parsed.prompt, command.author.id);
          await responder.respond(`Saved. New conversations here now use this system prompt:\n> ${quote(parsed.prompt)}`);
        } else {
          const cleared = repository.clearChannelSystemPrompt(command.platform, workspaceId, command.channelId);
          await responder.respond(cleared ? 'Cleared: this channel uses the default system prompt again.' : 'There was no custom system prompt to clear here.');
        }
        return;
      }
      case 'ask': {
        const place = await responder.openAnswer(parsed.question);
        const key: ConversationKey = { platform: command.platform, workspaceId, channelId: place.channelId, threadKey: place.threadKey };
        const conversation = repository.findOrCreateActiveConversation(key);
        const oneOff = command.systemPrompt?.trim();
        if (oneOff) {
          repository.setConversationSystemPrompt(conversation.id, oneOff);
          conversation.systemPrompt = oneOff;
        }
        const appended = repository.appendUserMessage({
          conversationId: conversation.id,
          platform: command.platform,
          channelId: place.channelId,
          content: parsed.question,
          authorId: command.author.id,
          platformMessageId: place.questionMessageId,
          model: settings.model,
        });
        if (appended.status === 'duplicate') return;
        this.dependencies.queueAnswer({
          conversation,
          turn: UserTurn.stored(appended.message.id),
          target: place.target,
          isDirect: command.isDirect,
          parentChannelId: command.parentChannelId,
          authorId: command.author.id,
          receivedAt: command.receivedAt,
        });
        return;
      }
    }
  }

  /** The help text with the command names people type on `platform`. */
  helpFor(platform: Platform): string {
    return helpText(this.dependencies.options.commandNames?.[platform]);
  }
}

function quote(text: string): string {
  return text.replace(/\n/g, '\n> ');
}
