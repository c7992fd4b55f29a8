import { CompletionError } from '../completion/completion-error.js';
import { encodeRequest } from '../completion/request-body.js';
import type { ChatMessage, CompletionClient, CompletionPart, CompletionRequest, CompletionStream, FinishReason, RequestMessage, Usage } from '../completion/types.js';
import { GroqbotError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ReplyRenderer } from '../reply/reply-renderer.js';
import type { ReplyHandle, ReplyOutcome, ReplyTarget } from '../reply/types.js';
import type { ConversationRepository } from '../store/conversation-repository.js';
import type { Conversation, StoredMessage } from '../store/types.js';
import { promptBudget } from '../tokens/prompt-budget.js';
import { hasExactTokenizer, type TokenCounter } from '../tokens/token-counter.js';
import type { EngineSettings } from './engine-settings.js';
import { failureText, interruptionReason, startFreshHint } from './human-messages.js';
import { resolveSystemPrompt } from './system-prompt.js';
import type { UserTurn } from './user-turn.js';

/** What answering needs: the store, Groq, the renderer and the engine's settings. */
export interface AnswerRunnerDependencies {
  repository: ConversationRepository;
  completion: CompletionClient;
  renderer: ReplyRenderer;
  tokenCounter: TokenCounter;
  settings: EngineSettings;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
  /**
   * Resolves once the events that arrived with this one have been handled (their requests written);
   * the reply's sign of life, a platform call, waits for it.
   */
  eventsHandled?: () => Promise<void>;
}

/** One answer to stream: the user turn it answers and where the reply goes. */
export interface AnswerJob {
  conversation: Conversation;
  /** The user message being answered: stored, or stored once the events that arrived with it are handled. */
  turn: UserTurn;
  target: ReplyTarget;
  isDirect: boolean;
  parentChannelId?: string;
  authorId: string;
  /** When the platform event arrived (reply duration). */
  receivedAt: number;
}

/** How an answer ended, for metrics and the log line. */
export type AnswerOutcome = 'complete' | 'length' | 'interrupted' | 'cancelled' | 'failed';

/** Conversations remembered as already told about left-out turns. */
const maxNoticesRemembered = 10_000;
/** System prompts whose exact token count is remembered (each channel may have its own). */
const maxSystemPromptsRemembered = 1_000;
/** Note added when older turns were left out of the prompt. */
export const historyNoticeText = 'older messages in this conversation were left out to fit the model';
/** Note added when the answer hit the completion token limit. */
export const lengthNoticeText = 'the answer hit the token limit and may be cut short';

/** Streams one answer: prompt from the store, Groq through the renderer, the outcome back to the store. */
export class AnswerRunner {
  /** Groq's per-minute token limit, learned from its headers; caps later prompts. */
  private tokensPerMinuteLimit: number | undefined;
  /** Conversations that have already been told older turns were left out. */
  private readonly historyNoticeShown = new Set<number>();
  /** Exact token counts of system prompts in use (the default and channels' own), by model and text. */
  private readonly exactSystemTokens = new Map<string, number>();

  constructor(private readonly dependencies: AnswerRunnerDependencies) {}

  /** Streams the answer to `job`; never throws (failures are rendered, stored and counted). */
  async run(job: AnswerJob, signal: AbortSignal): Promise<AnswerOutcome> {
    const { repository, renderer, settings, metrics, logger } = this.dependencies;
    const now = this.dependencies.now ?? Date.now;
    const platform = job.target.platform;
    // The reply's row is written once the request is on its way and the events that arrived with
    // this one have been handled: its commit (~0.2 ms) would otherwise come before the request, and
    // before the requests of those events. A crash before it leaves the question unanswered, which
    // start-up answers (see ConversationEngine.resumeUnanswered).
    let reply: StoredMessage | undefined;
    const storedReply = (): StoredMessage =>
      (reply ??= repository.startAssistantReply(job.conversation.id, settings.model, job.turn.requireId()));
    let rendering: ReplyHandle | undefined;
    // The renderer starts right after the first Groq request is on its way: its sign of life is a
    // platform call too, and the request is what the user waits for.
    const view = (): ReplyHandle =>
      (rendering ??= renderer.start(job.target, {
        onPartPosted: (index, ref) => repository.recordPostedPart(storedReply().id, { platform, index, ref }),
        onPartLanded: (landed) => repository.saveVisibleText(storedReply().id, { index: landed.index, text: landed.text }, landed.visibleAnswer),
      }));
    metrics.repliesStreaming.inc();
    const startedAt = now();
    let requestId: string | undefined;
    let usage: Usage | undefined;
    let firstTokenAt: number | undefined;
    let requestStartedAt: number | undefined;
    let eventToRequestMs: number | undefined;
    let outcome: AnswerOutcome = 'failed';
    let errorCode: string | undefined;
    try {
      // The history lives only until its request is encoded (the stream keeps the bytes, off the JS
      // heap): the replies waiting for their first token would otherwise keep their histories alive,
      // and every young-generation GC during a burst of messages would copy them (≈1 MB, pauses of
      // 5–10 ms). Assigned by destructuring so that no other variable holds it.
      let messages: RequestMessage[] | undefined;
      let estimatedTokens: number;
      let droppedCount: number;
      ({ messages, estimatedTokens, droppedCount } = this.buildPrompt(job.conversation, job.parentChannelId, job.turn));
      let finishReason: FinishReason | undefined;
      for (let attempt = 0; ; attempt += 1) {
        const stream = this.dependencies.completion.stream(this.request(messages ?? [], job), { signal });
        messages = undefined;
        const parts = stream[Symbol.asyncIterator]();
        let drained = false;
        try {
          const first = parts.next();
          // Awaited below; should starting the renderer throw first, its rejection must not go unhandled.
          first.catch(() => undefined);
          requestStartedAt ??= now();
          // Undici writes the request a tick later; the sign of life (a platform call of its own)
          // waits for that, and for the requests of the events that arrived with this one.
          await stream.whenSent();
          if (this.dependencies.eventsHandled) await this.dependencies.eventsHandled();
          // The question is stored with the others that arrived with it, once they are handled.
          await job.turn.settled;
          storedReply();
          const handle = view();
          let thinking = false;
          let result: IteratorResult<CompletionPart>;
          try {
            result = await first;
          } finally {
            // Known once Groq answered (or failed): the request's last byte was written before that.
            eventToRequestMs ??= this.observeSent(stream, job);
          }
          for (; !result.done; result = await parts.next()) {
            const part = result.value;
            if (part.type === 'text-delta') {
              firstTokenAt ??= now();
              handle.append(part.text);
            } else if (part.type === 'reasoning-delta') {
              firstTokenAt ??= now();
              if (!thinking && handle.text === '') {
                thinking = true;
                handle.thinking();
              }
            } else {
              finishReason = part.reason;
              usage = part.usage;
            }
          }
          drained = true;
          requestId = stream.requestId;
          break;
        } catch (error) {
          requestId = stream.requestId ?? (error instanceof CompletionError ? error.requestId : undefined);
          const tooLong = error instanceof CompletionError && (error.code === 'request_too_large' || error.code === 'context_too_long');
          if (tooLong && attempt === 0 && view().text === '' && !signal.aborted) {
            // Read again from the store: rare, and the first history was not kept.
            messages = halveHistory(this.buildPrompt(job.conversation, job.parentChannelId, job.turn).messages);
            logger.warn({ conversationId: job.conversation.id, code: error.code }, 'prompt too large; retrying with half the history');
            continue;
          }
          throw error;
        } finally {
          // After the stream's own failure this is a no-op; after an exception of ours it closes the connection.
          if (!drained) void parts.return?.().catch(() => undefined);
          this.learnRateLimit(stream.rateLimit?.limitTokens);
        }
      }
      if (usage) this.dependencies.tokenCounter.calibrate(settings.model, estimatedTokens, usage.promptTokens);
      const handle = view();
      const text = handle.text;
      if (text.trim() === '') {
        outcome = 'failed';
        errorCode = 'empty_answer';
        const message = 'The model returned an empty answer; please try again or rephrase.';
        await endAndStore(handle.fail(message), () =>
          repository.finishAssistantReply(storedReply().id, { status: 'failed', content: message, inPrompt: false, usage, requestId, model: settings.model }),
        );
        return outcome;
      }
      const notes: string[] = [];
      if (finishReason === 'length') notes.push(lengthNoticeText);
      if (droppedCount > 0 && settings.historyNotice && !this.historyNoticeShown.has(job.conversation.id)) {
        // Bounded: after a restart (or this many conversations) a long conversation may be told once more.
        if (this.historyNoticeShown.size >= maxNoticesRemembered) this.historyNoticeShown.clear();
        this.historyNoticeShown.add(job.conversation.id);
        notes.push(historyNoticeText);
      }
      outcome = finishReason === 'length' ? 'length' : 'complete';
      await endAndStore(handle.complete(notes.length > 0 ? { note: notes.join('; ') } : {}), () =>
        repository.finishAssistantReply(storedReply().id, { status: 'complete', content: text, usage, requestId, model: settings.model }),
      );
      return outcome;
    } catch (error) {
      // A prompt that failed before the request waits here for its question to be stored (or not).
      await job.turn.settled;
      const failure = describeFailure(error, settings.model, job.isDirect);
      errorCode = failure.code;
      const handle = view();
      const text = handle.text;
      if (signal.aborted || failure.code === 'aborted') {
        outcome = 'cancelled';
        const reason = typeof signal.reason === 'string' ? signal.reason : 'the answer was cancelled';
        await endAndStore(handle.interrupt(reason), () =>
          repository.finishAssistantReply(storedReply().id, { status: 'interrupted', content: text, inPrompt: text !== '', usage, requestId, model: settings.model }),
        );
      } else if (text !== '') {
        outcome = 'interrupted';
        await endAndStore(handle.interrupt(failure.interruption), () =>
          repository.finishAssistantReply(storedReply().id, { status: 'interrupted', content: text, usage, requestId, model: settings.model }),
        );
      } else {
        outcome = 'failed';
        await endAndStore(handle.fail(failure.message), () =>
          repository.finishAssistantReply(storedReply().id, { status: 'failed', content: failure.message, inPrompt: false, requestId, model: settings.model }),
        );
      }
      const level = outcome === 'cancelled' ? 'info' : 'warn';
      logger[level]({ err: error, code: failure.code, conversationId: job.conversation.id }, 'answer did not complete');
      return outcome;
    } finally {
      metrics.repliesStreaming.dec();
      const finishedAt = now();
      metrics.replies.inc({ platform, outcome });
      metrics.replyDuration.observe({ platform }, (finishedAt - job.receivedAt) / 1000);
      logger.info(
        {
          conversation: `${job.conversation.platform}:${job.conversation.workspaceId}:${job.conversation.channelId}:${job.conversation.threadKey}`,
          conversationId: job.conversation.id,
          requestId,
          promptTokens: usage?.promptTokens,
          completionTokens: usage?.completionTokens,
          eventToRequestMs,
          timeToFirstTokenMs: firstTokenAt === undefined || requestStartedAt === undefined ? undefined : firstTokenAt - requestStartedAt,
          durationMs: finishedAt - startedAt,
          outcome,
          code: errorCode,
        },
        'reply finished',
      );
    }
  }

  /**
   * Builds and encodes the request for `conversation`'s history once, and drops it. The first run of
   * this path in a process (statements, parsing the history, joining and encoding 40 KB) took ~2.5 ms
   * against ~1.2 ms for later ones; at start-up, the first question after a restart does not pay it.
   */
  warmUp(conversation: Conversation): void {
    const { messages } = this.buildPrompt(conversation, undefined, undefined);
    Buffer.from(encodeRequest(this.request(messages, { conversation, authorId: 'warm-up' })));
  }

  private buildPrompt(
    conversation: Conversation,
    parentChannelId: string | undefined,
    turn: UserTurn | undefined,
  ): { messages: RequestMessage[]; droppedCount: number; estimatedTokens: number } {
    const { repository, settings } = this.dependencies;
    const system = resolveSystemPrompt({
      conversation,
      platform: conversation.platform,
      workspaceId: conversation.workspaceId,
      channelId: conversation.channelId,
      parentChannelId,
      defaultPrompt: settings.defaultSystemPrompt,
      lookup: (platform, workspaceId, channelId) => repository.getChannelSystemPrompt(platform, workspaceId, channelId),
    });
    const budget = promptBudget({
      model: settings.model,
      historyMaxTokens: settings.historyMaxTokens,
      maxCompletionTokens: settings.maxCompletionTokens,
      tokensPerMinuteLimit: this.tokensPerMinuteLimit,
    });
    const systemTokens = this.systemPromptTokens(settings.model, system.prompt);
    // A question not stored yet goes after every stored turn; a stored one is read with them.
    const unstored = turn?.id === undefined ? turn?.unstored : undefined;
    // Reads only the newest turns until the budget is full: this runs on every message, also at 10,000 turns.
    const fitted = repository.fitPromptHistory(conversation.id, { systemTokens, budget, upToMessageId: turn?.id, newTurnTokens: unstored?.tokenCount });
    const messages: RequestMessage[] = [{ role: 'system', content: system.prompt }, ...fitted.messages];
    if (unstored) messages.push({ role: 'user', json: unstored.json });
    return {
      // The stored turns go as the store encoded them: no object per turn, no second serialisation.
      messages,
      droppedCount: fitted.droppedCount,
      estimatedTokens: fitted.totalTokens,
    };
  }

  /**
   * The system message's tokens. Counted exactly (o200k) that takes ~0.1 ms on every question, on
   * the way to the request, for a text that rarely changes; estimated counts follow calibration, so
   * only exact ones are remembered.
   */
  private systemPromptTokens(model: string, prompt: string): number {
    const { tokenCounter } = this.dependencies;
    if (!hasExactTokenizer(model)) return tokenCounter.countMessage(model, 'system', prompt);
    const key = `${model}\n${prompt}`;
    let tokens = this.exactSystemTokens.get(key);
    if (tokens === undefined) {
      tokens = tokenCounter.countMessage(model, 'system', prompt);
      if (this.exactSystemTokens.size >= maxSystemPromptsRemembered) this.exactSystemTokens.clear();
      this.exactSystemTokens.set(key, tokens);
    }
    return tokens;
  }

  /** Event received → the request's last byte written, in hundredths of a millisecond; undefined when nothing was sent. */
  private observeSent(stream: CompletionStream, job: AnswerJob): number | undefined {
    const sentAt = stream.requestSentAt;
    if (sentAt === undefined) return undefined;
    const ms = Math.round(Math.max(0, sentAt - job.receivedAt) * 100) / 100;
    this.dependencies.metrics.eventToRequest.observe({ platform: job.target.platform }, ms / 1000);
    return ms;
  }

  private request(messages: RequestMessage[], job: Pick<AnswerJob, 'conversation' | 'authorId'>): CompletionRequest {
    const { settings } = this.dependencies;
    return {
      model: settings.model,
      messages,
      temperature: settings.temperature,
      topP: settings.topP,
      maxCompletionTokens: settings.maxCompletionTokens,
      stop: settings.stop,
      reasoningEffort: settings.reasoningEffort,
      user: `${job.conversation.platform}:${job.authorId}`,
    };
  }

  private learnRateLimit(limitTokens: number | undefined): void {
    if (limitTokens !== undefined && limitTokens > 0) this.tokensPerMinuteLimit = limitTokens;
  }
}

/**
 * Stores a reply's outcome while its ending goes out, and waits for the ending even when storing
 * throws: a failing store must not leave the reply streaming, nor let the conversation's next answer overtake it.
 */
async function endAndStore(ending: Promise<ReplyOutcome>, store: () => void): Promise<void> {
  try {
    store();
  } finally {
    await ending;
  }
}

/** Keeps the system message and the newer half of the turns (always the newest user turn). */
function halveHistory(messages: RequestMessage[]): RequestMessage[] {
  const [system, ...rest] = messages;
  // A run of stored turns is halved turn by turn (rare: Groq found the prompt too long).
  const turns = rest.flatMap((message) => ('run' in message ? (JSON.parse(`[${message.run}]`) as ChatMessage[]) : [message]));
  const keep = Math.max(1, Math.floor(turns.length / 2));
  return system ? [system, ...turns.slice(turns.length - keep)] : turns.slice(turns.length - keep);
}

/** What a person is told about a failure, before any text or as the interruption reason. */
function describeFailure(error: unknown, model: string, isDirect: boolean): { code: string; message: string; interruption: string } {
  if (error instanceof CompletionError) {
    return { code: error.code, message: failureText(error, model, isDirect), interruption: interruptionReason(error) };
  }
  if (error instanceof GroqbotError && error.code === 'message_too_large') {
    return {
      code: error.code,
      message: `Your message is too large for the model's context window. ${startFreshHint(isDirect)}`,
      interruption: 'the message is too large',
    };
  }
  const code = error instanceof GroqbotError ? error.code : 'internal_error';
  return { code, message: 'Something went wrong while answering; please try again.', interruption: 'an internal error' };
}
