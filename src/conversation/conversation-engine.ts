import { GroqbotError, errorMessage } from '../errors.js';
import type { ConversationKey, Platform } from '../platform.js';
import { endingSuffix } from '../reply/reply-text.js';
import type { ReplyTarget } from '../reply/types.js';
import type { Conversation } from '../store/types.js';
import { AnswerRunner, type AnswerJob, type AnswerRunnerDependencies } from './answer-runner.js';
import { CommandHandler } from './command-handler.js';
import { ConversationLanes } from './conversation-lanes.js';
import { EventQueue } from './event-queue.js';
import { tooLongText } from './human-messages.js';
import { PendingTurns } from './pending-turns.js';
import type { ChatAdapter, CommandResponder, EngineHandlers, IncomingCommand, IncomingMessage } from './port.js';
import { UserTurn } from './user-turn.js';

/** What the engine needs; adapters are registered separately as they are created. */
export interface ConversationEngineOptions extends AnswerRunnerDependencies {
  /** Command names as users type them on each platform, for help texts. */
  commandNames?: Partial<Record<Platform, Record<'ask' | 'system' | 'reset', string>>>;
  /** Called each time the events that arrived together have been handled (their requests on their way). */
  afterEvents?: () => void;
}

/** Reason shown on replies cut short by a newer message (ON_NEW_MESSAGE=cancel). */
const cancelledByNewerMessage = 'a newer message arrived';
/** Unanswered messages older than this at start-up are left alone: an answer that late would confuse. */
const resumeWindowMs = 15 * 60 * 1000;
/** Reason shown on replies cut short by shutdown. */
const cancelledByShutdown = 'the bot is restarting';

/**
 * The core every platform shares: dedupe, per-conversation FIFO, prompt from the store,
 * Groq through the renderer, commands, start-up recovery and graceful shutdown.
 */
export class ConversationEngine implements EngineHandlers {
  private readonly adapters = new Map<Platform, ChatAdapter>();
  private readonly lanes: ConversationLanes;
  private readonly runner: AnswerRunner;
  private readonly commands: CommandHandler;
  /** Messages and commands are handled one at a time, so each Groq request is written before the next event's work. */
  private readonly events: EventQueue;
  /** User messages of the events being handled, stored once their requests are on their way. */
  private readonly pending: PendingTurns;
  /** False from shutdown on: messages are still stored (and answered after the restart), not answered now. */
  private answering = true;
  private markReady: () => void = () => {};
  /** True once start-up recovery is done. */
  private recovered = false;
  /** Resolves once start-up recovery is done; work waits for it so recovery edits go first. */
  private readonly ready = new Promise<void>((resolve) => {
    this.markReady = () => {
      this.recovered = true;
      resolve();
    };
  });

  constructor(private readonly options: ConversationEngineOptions) {
    this.lanes = new ConversationLanes((waiting) => options.metrics.queueDepth.set(waiting));
    this.pending = new PendingTurns(options.repository);
    this.events = new EventQueue(() => {
      // Before the answers waiting for these events resume: they need the stored ids.
      this.pending.storeAll();
      options.afterEvents?.();
    });
    this.runner = new AnswerRunner({ ...options, eventsHandled: () => this.events.whenIdle() });
    this.commands = new CommandHandler({
      options,
      adapterOf: (platform) => this.adapterOf(platform),
      queueAnswer: (job) => this.queueAnswer(job),
    });
  }

  /** Registers the adapter of a platform (reply targets, recovery edits, permission checks). */
  addAdapter(adapter: ChatAdapter): void {
    this.adapters.set(adapter.platform, adapter);
  }

  /** Handles a platform message; resolves once it is stored and queued (or dropped). */
  async onMessage(message: IncomingMessage): Promise<void> {
    // Once recovered, no await: a hop through the microtask queue would let other work go first.
    if (!this.recovered) await this.ready;
    return this.events.run(() => this.handleMessage(message));
  }

  /**
   * Queues the answer and holds the message for the store, which writes it once the events that
   * arrived with it are handled; resolves once it is stored.
   */
  private handleMessage(message: IncomingMessage): Promise<void> | undefined {
    const { repository, settings, logger, tokenCounter } = this.options;
    const incoming: IncomingMessage = message.isDirect ? { ...message, workspaceId: '' } : message;
    const { platform, eventId, channelId, messageId } = incoming;
    if (this.pending.has(platform, eventId, channelId, messageId) || repository.hasSeen(platform, eventId, channelId, messageId)) {
      logger.debug({ platform, messageId, eventId }, 'duplicate message dropped');
      return undefined;
    }
    const conversation = this.conversationFor(incoming);
    if (!conversation) return undefined;
    const text = incoming.text.trim();
    const tooLong = text.length > settings.maxInputChars;
    const content = tooLong ? text.slice(0, settings.maxInputChars) : text;
    const inPrompt = !tooLong && text !== '';
    const tokenCount = tokenCounter.countMessage(settings.model, 'user', content);
    const turn = UserTurn.unstored({ json: JSON.stringify({ role: 'user', content }), tokenCount });
    const question = {
      conversationId: conversation.id,
      platform,
      channelId,
      content,
      authorId: incoming.author.id,
      platformMessageId: messageId,
      eventId,
      inPrompt,
      model: settings.model,
    };
    this.pending.add(question, tokenCount, turn);
    // Shutting down: the stored turn is answered when the service starts again (see resumeUnanswered).
    if (this.answering) {
      const target = this.adapterOf(platform).replyTarget(incoming);
      if (inPrompt) {
        this.queueAnswer({
          conversation,
          turn,
          target,
          isDirect: incoming.isDirect,
          parentChannelId: incoming.parentChannelId,
          authorId: incoming.author.id,
          receivedAt: incoming.receivedAt,
        });
      } else {
        const answer = text === '' ? this.commands.helpFor(platform) : tooLongText(text.length, settings.maxInputChars);
        this.lanes.enqueue(conversation.id, () => this.sendStatic(target, answer));
      }
    }
    return turn.whenStored();
  }

  /** Handles a slash command; the adapter has already acknowledged it. */
  async onCommand(command: IncomingCommand, responder: CommandResponder): Promise<void> {
    if (!this.recovered) await this.ready;
    await this.events.run(() => this.handleCommand(command, responder));
  }

  private async handleCommand(command: IncomingCommand, responder: CommandResponder): Promise<void> {
    // A command's writes (an `ask`'s question, a reset) come after the messages that arrived before it.
    this.pending.storeAll();
    if (!this.answering) {
      await responder.respond('The bot is restarting; please try again in a moment.');
      return;
    }
    await this.commands.handle(command, responder);
  }

  /** Gives every reply a crash left streaming a final edit with its saved text and a note; messages wait until it is done. */
  async recover(): Promise<number> {
    try {
      const stuck = await this.recoverStuckReplies();
      // Before the resumed answers, which would otherwise be the ones to run the prompt path cold.
      this.warmUp();
      this.resumeUnanswered();
      return stuck;
    } finally {
      this.markReady();
    }
  }

  /** Runs the prompt path once on the newest conversation before the first event (see AnswerRunner.warmUp). */
  private warmUp(): void {
    const { repository, logger } = this.options;
    try {
      const conversation = repository.newestActiveConversation();
      if (conversation) this.runner.warmUp(conversation);
    } catch (error) {
      // Only a head start: a history too large for the model, say, fails the same way when asked.
      logger.debug({ err: error }, 'could not warm the prompt path');
    }
  }

  private async recoverStuckReplies(): Promise<number> {
    const { repository, logger } = this.options;
    const stuck = repository.recoverInterruptedReplies();
    let edited = 0;
    for (const reply of stuck) {
      const adapter = this.adapters.get(reply.platform);
      if (!adapter) continue;
      const parts = [...reply.parts].sort((a, b) => a.index - b.index);
      for (const [position, part] of parts.entries()) {
        const last = position === parts.length - 1;
        const text = last ? part.text + endingSuffix(part.text, { kind: 'interrupt', reason: 'the bot restarted' }) : part.text;
        try {
          await adapter.editStored(part.ref, text);
          edited += 1;
        } catch (error) {
          logger.warn({ err: error, messageId: reply.messageId, part: part.index }, 'could not mark an interrupted reply part');
        }
      }
    }
    if (stuck.length > 0) logger.info({ replies: stuck.length, parts: edited }, 'marked replies left streaming by a crash as interrupted');
    return stuck.length;
  }

  /** Stops answering (new messages are stored for the next start), lets replies finish for `graceMs`, then interrupts the rest; true when all finished in time. */
  async shutdown(graceMs: number): Promise<boolean> {
    this.answering = false;
    if (await this.lanes.whenIdle(graceMs)) return true;
    this.options.logger.warn({ streaming: this.lanes.runningCount }, 'grace period over; interrupting replies still streaming');
    this.lanes.abortAll(cancelledByShutdown);
    // Interrupted replies still send their final edit; give them a short, bounded time.
    await this.lanes.whenIdle(5_000);
    return false;
  }

  /** Resolves once no answer runs or waits, or after `timeoutMs`; true when idle. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    return this.lanes.whenIdle(timeoutMs);
  }

  /** Replies running now (for health and drills). */
  get streamingCount(): number {
    return this.lanes.runningCount;
  }

  /**
   * Queues every recent user turn that never got an answer: stored while the service was shutting
   * down, or still waiting in a lane when it stopped or crashed. A platform retry of such a message
   * is a duplicate by then, so without this it would be lost.
   */
  private resumeUnanswered(): void {
    const { repository, logger } = this.options;
    const pending = repository.listUnansweredUserMessages(Date.now() - resumeWindowMs);
    for (const { message, conversation, channelId } of pending) {
      const adapter = this.adapters.get(conversation.platform);
      if (!adapter || message.platformMessageId === null) continue;
      const incoming: IncomingMessage = {
        platform: conversation.platform,
        workspaceId: conversation.workspaceId,
        channelId,
        threadKey: conversation.threadKey,
        isDirect: conversation.workspaceId === '',
        addressed: true,
        author: { id: message.authorId ?? '', name: '' },
        text: message.content,
        messageId: message.platformMessageId,
        receivedAt: message.createdAt,
      };
      this.queueAnswer({
        conversation,
        turn: UserTurn.stored(message.id),
        target: adapter.replyTarget(incoming),
        isDirect: incoming.isDirect,
        authorId: incoming.author.id,
        receivedAt: Date.now(),
      });
    }
    if (pending.length > 0) logger.info({ messages: pending.length }, 'answering messages left unanswered by the last stop');
  }

  private conversationFor(message: IncomingMessage): Conversation | undefined {
    const { repository } = this.options;
    if (message.replyToMessageId) {
      const replied = repository.findConversationByPlatformMessage(message.platform, message.channelId, message.replyToMessageId);
      if (replied) return replied;
    }
    const key: ConversationKey = {
      platform: message.platform,
      workspaceId: message.workspaceId,
      channelId: message.channelId,
      threadKey: message.threadKey,
    };
    const existing = repository.findActiveConversation(key);
    if (existing) return existing;
    return message.addressed ? repository.findOrCreateActiveConversation(key) : undefined;
  }

  private queueAnswer(job: AnswerJob): void {
    const run = (signal: AbortSignal) => this.runAnswer(job, signal);
    if (this.options.settings.onNewMessage === 'cancel') this.lanes.replace(job.conversation.id, run, cancelledByNewerMessage);
    else this.lanes.enqueue(job.conversation.id, run);
  }

  private async runAnswer(job: AnswerJob, signal: AbortSignal): Promise<void> {
    // A job cancelled while it waited (cancel mode, shutdown) is answered by the newer one or not at all.
    if (signal.aborted) return;
    try {
      // Re-read: a reset or a one-off prompt may have changed the conversation while this waited.
      const conversation = this.options.repository.getConversation(job.conversation.id) ?? job.conversation;
      await this.runner.run({ ...job, conversation }, signal);
    } catch (error) {
      this.options.logger.error({ err: error, conversationId: job.conversation.id }, 'answer failed unexpectedly');
    }
  }

  private async sendStatic(target: ReplyTarget, text: string): Promise<void> {
    try {
      const handle = this.options.renderer.start(target);
      handle.append(text);
      await handle.complete();
    } catch (error) {
      this.options.logger.warn({ err: error, message: errorMessage(error) }, 'could not send a static answer');
    }
  }

  private adapterOf(platform: Platform): ChatAdapter {
    const adapter = this.adapters.get(platform);
    if (!adapter) throw new GroqbotError(`no adapter registered for ${platform}`, { code: 'no_adapter' });
    return adapter;
  }
}
