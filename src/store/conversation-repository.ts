import type { Database, Statement, Transaction } from 'better-sqlite3';
import type { EncodedChatRun } from '../completion/types.js';
import type { ConversationKey, Platform, PostedMessageRef } from '../platform.js';
import { messageTooLarge, type FittedPrompt } from '../tokens/prompt-budget.js';
import type { TokenCounter } from '../tokens/token-counter.js';
import type { WalCheckpointer } from './wal-checkpointer.js';
import { messageColumns, toConversation, toStoredMessage, type ConversationRow, type MessageRow } from './rows.js';
import type {
  AppendResult,
  ChannelSystemPrompt,
  Conversation,
  CountedUserMessage,
  EncodedPromptMessage,
  FinishedReply,
  InterruptedReply,
  NewUserMessage,
  PromptHistoryPart,
  PromptMessage,
  StoredMessage,
  UnansweredMessage,
} from './types.js';

/** Options of the repository. */
export interface ConversationRepositoryOptions {
  /** Counts each message's tokens once, when it is stored. */
  tokenCounter: TokenCounter;
  /** Clock in milliseconds; Date.now by default. */
  now?: () => number;
  /** The thread checkpointing this database's WAL, stopped on close (see wal-checkpointer.ts). */
  checkpointer?: WalCheckpointer;
}

const dayMs = 24 * 60 * 60 * 1000;

type KeyParameters = [platform: Platform, workspaceId: string, channelId: string, threadKey: string];
type PromptRow = [id: number, role: PromptMessage['role'], content: string, tokenCount: number];
type HistoryRow = [id: number, role: PromptMessage['role'], tokenCount: number, turn: number, json: string];

/** A finished reply's columns, as the finishReply statement binds them. */
interface FinishReplyValues {
  id: number;
  status: FinishedReply['status'];
  content: string;
  inPrompt: 0 | 1;
  tokenCount: number;
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  requestId: string | null;
  now: number;
}

/** Inputs of `fitPromptHistory`. */
export interface PromptHistoryOptions {
  /** Tokens of the system message (with its overhead). */
  systemTokens: number;
  /** Prompt tokens available (`promptBudget`). */
  budget: number;
  /**
   * The user message being answered: it goes last, user turns stored after it (queued behind it)
   * stay out, replies stay in. Without it, the newest turn counts as the one being answered.
   */
  upToMessageId?: number;
  /**
   * Tokens of a user turn not stored yet, which the caller puts last (instead of `upToMessageId`):
   * it must fit with the system message, and every stored turn comes before it.
   */
  newTurnTokens?: number;
}

const noMessageId = Number.MAX_SAFE_INTEGER;
/**
 * Rows in the first page of a newest-first history read. Small because a budget capped by a
 * per-minute token limit keeps a few dozen turns, and every row read costs (~0.5 µs, a query's
 * overhead ~15 µs): at 4,000 tokens 256 took ~200 µs, 32 ~80 µs.
 */
const firstHistoryPage = 32;
/**
 * Longest conversation (in prompt turns) whose history is summed from the index to see whether it
 * fits whole (~0.4 µs a turn); longer ones go straight to the paged read, which costs what fits.
 */
const wholeHistoryMaxTurns = 512;
/** Most rows one later page asks for; later pages are sized to what the budget has left. */
const maxHistoryPage = 8_192;

/**
 * Rows the next page should read: what the budget has left at the average size of the rows taken
 * so far, a quarter more, and a few over. Rows past the budget are read with their content for
 * nothing, so pages follow the budget rather than double (which could read twice what fitted).
 */
function nextHistoryPage(tokensLeft: number, averageTokens: number): number {
  const expected = tokensLeft / Math.max(1, averageTokens);
  return Math.min(maxHistoryPage, Math.max(firstHistoryPage, Math.ceil(expected * 1.25) + 8));
}

/**
 * The only code that reads and writes the conversation store. Synchronous (better-sqlite3 is);
 * every multi-statement change runs in one transaction, and statements are prepared once.
 */
export class ConversationRepository {
  private readonly tokenCounter: TokenCounter;
  private readonly now: () => number;
  private readonly checkpointer: WalCheckpointer | undefined;
  private readonly statements: ReturnType<typeof prepareStatements>;
  // Built once: db.transaction() builds four wrappers on each call (~10 µs), and these run on every
  // message, reply or landed edit.
  private readonly saveVisibleTransaction: Transaction<(messageId: number, index: number, text: string, visibleAnswer: string) => void>;
  private readonly appendTransaction: Transaction<(input: NewUserMessage, tokenCount: number) => AppendResult>;
  private readonly appendManyTransaction: Transaction<(batch: readonly CountedUserMessage[]) => AppendResult[]>;
  private readonly startReplyTransaction: Transaction<(conversationId: number, model: string, replyToMessageId: number | null) => StoredMessage>;
  private readonly finishTransaction: Transaction<(conversationId: number, values: FinishReplyValues) => void>;

  constructor(
    private readonly db: Database,
    options: ConversationRepositoryOptions,
  ) {
    this.tokenCounter = options.tokenCounter;
    this.now = options.now ?? Date.now;
    this.checkpointer = options.checkpointer;
    this.statements = prepareStatements(db);
    const { setPartText, setStreamingContent } = this.statements;
    this.saveVisibleTransaction = db.transaction((messageId: number, index: number, text: string, visibleAnswer: string) => {
      setPartText.run(text, messageId, index);
      setStreamingContent.run(visibleAnswer, this.now(), messageId);
    });
    this.appendTransaction = db.transaction((input: NewUserMessage, tokenCount: number) => this.storeUserMessage(input, tokenCount));
    this.appendManyTransaction = db.transaction((batch: readonly CountedUserMessage[]) =>
      batch.map(({ message, tokenCount }) => this.storeUserMessage(message, tokenCount)),
    );
    this.startReplyTransaction = db.transaction((conversationId: number, model: string, replyToMessageId: number | null) => {
      const now = this.now();
      const id = Number(this.statements.insertReply.run({ conversationId, model, now }).lastInsertRowid);
      this.statements.setTurn.run(replyToMessageId, id);
      this.statements.touchConversation.run(now, conversationId);
      return this.requireMessage(id);
    });
    this.finishTransaction = db.transaction((conversationId: number, values: FinishReplyValues) => {
      this.statements.finishReply.run(values);
      this.statements.touchConversation.run(values.now, conversationId);
    });
  }

  /** The active conversation for `key`, created when there is none. */
  findOrCreateActiveConversation(key: ConversationKey): Conversation {
    return this.db.transaction(() => this.findActiveConversation(key) ?? this.createConversation(key)).immediate();
  }

  /** The active conversation for `key`, if any. */
  findActiveConversation(key: ConversationKey): Conversation | undefined {
    const row = this.statements.selectActive.get(...keyParameters(key));
    return row ? toConversation(row) : undefined;
  }

  /** The active conversation touched last, if any (start-up warms the prompt path on it). */
  newestActiveConversation(): Conversation | undefined {
    const row = this.statements.selectNewestActive.get();
    return row ? toConversation(row) : undefined;
  }

  /**
   * The conversation a platform message belongs to: a message the bot posted (any part of a split
   * reply) or a stored user message. May be an inactive (reset) conversation.
   */
  findConversationByPlatformMessage(platform: Platform, channelId: string, messageId: string): Conversation | undefined {
    const row =
      this.statements.selectConversationByPostedPart.get(platform, channelId, messageId) ??
      this.statements.selectConversationByUserMessage.get(platform, channelId, messageId);
    return row ? toConversation(row) : undefined;
  }

  /** One conversation by id. */
  getConversation(id: number): Conversation | undefined {
    const row = this.statements.selectConversation.get(id);
    return row ? toConversation(row) : undefined;
  }

  /** A quick pre-check before any work: the event id was processed, or the user message is stored. */
  hasSeen(platform: Platform, eventId: string | undefined, channelId: string, messageId: string): boolean {
    if (eventId !== undefined && this.statements.selectEvent.get(platform, eventId) !== undefined) return true;
    return this.statements.selectUserMessageId.get(platform, channelId, messageId) !== undefined;
  }

  /**
   * Stores a user message and its event id in one transaction. A message whose event id or
   * (platform, channel, message id) was already stored is a duplicate: nothing is stored.
   */
  appendUserMessage(input: NewUserMessage): AppendResult {
    if (this.hasSeen(input.platform, input.eventId, input.channelId, input.platformMessageId)) return { status: 'duplicate' };
    // Counted outside the transaction: tokenizing a long message must not hold the write lock.
    const tokenCount = this.tokenCounter.countMessage(input.model, 'user', input.content);
    return this.appendTransaction.immediate(input, tokenCount);
  }

  /**
   * Stores user messages whose tokens the caller counted, in order, in one transaction; each
   * result says stored or duplicate as `appendUserMessage` would.
   */
  appendUserMessages(batch: readonly CountedUserMessage[]): AppendResult[] {
    return this.appendManyTransaction.immediate(batch);
  }

  /** Records a processed platform event (commands, retries); true when it is new. */
  recordEvent(platform: Platform, eventId: string): boolean {
    return this.statements.insertEvent.run(platform, eventId, this.now()).changes === 1;
  }

  /** Sets or clears a conversation's own system prompt (a one-off `ask`). */
  setConversationSystemPrompt(conversationId: number, prompt: string | null): void {
    this.statements.setConversationPrompt.run(prompt, this.now(), conversationId);
  }

  /**
   * Starts an assistant reply, `streaming` and empty. `replyToMessageId` is the user message it
   * answers: prompts list the reply right after it, even if later questions were stored first.
   */
  startAssistantReply(conversationId: number, model: string, replyToMessageId?: number): StoredMessage {
    return this.startReplyTransaction.immediate(conversationId, model, replyToMessageId ?? null);
  }

  /**
   * Records a platform message a reply posted (part `index` of a split reply); a part posted again
   * replaces its record. Ignored when the reply was deleted meanwhile.
   */
  recordPostedPart(messageId: number, part: { platform: Platform; index: number; ref: PostedMessageRef }): void {
    this.statements.insertPostedPart.run({
      platform: part.platform,
      channelId: part.ref.channelId,
      platformMessageId: part.ref.messageId,
      handle: part.ref.handle ?? null,
      index: part.index,
      now: this.now(),
      messageId,
    });
  }

  /**
   * Saves what the platform now shows, after an edit landed: the part's text, and the visible
   * answer as the reply's content (while it is still streaming: a late edit never rewrites a
   * finished reply).
   */
  saveVisibleText(messageId: number, part: { index: number; text: string }, visibleAnswer: string): void {
    this.saveVisibleTransaction.immediate(messageId, part.index, part.text, visibleAnswer);
  }

  /**
   * Finishes a reply with its final status, text and usage, counting its tokens. It enters later
   * prompts unless it failed or is empty (or `inPrompt` says otherwise). A reply deleted meanwhile is ignored.
   */
  finishAssistantReply(messageId: number, finished: FinishedReply): void {
    const existing = this.statements.selectMessage.get(messageId);
    // Forgotten (or deleted by retention) while it streamed: nothing left to finish.
    if (!existing) return;
    const model = finished.model ?? existing.model ?? '';
    const tokenCount = this.tokenCounter.countMessage(model, 'assistant', finished.content);
    const inPrompt = finished.inPrompt ?? (finished.status !== 'failed' && finished.content !== '');
    this.finishTransaction.immediate(existing.conversation_id, {
      id: messageId,
      status: finished.status,
      content: finished.content,
      inPrompt: inPrompt ? 1 : 0,
      tokenCount,
      model: model === '' ? null : model,
      promptTokens: finished.usage?.promptTokens ?? null,
      completionTokens: finished.usage?.completionTokens ?? null,
      requestId: finished.requestId ?? null,
      now: this.now(),
    });
  }

  /**
   * The turns that may enter a prompt, oldest first: `complete` and `interrupted` messages marked
   * in_prompt (failed replies and refused user messages stay out). Replies follow the question they answer.
   */
  listPromptMessages(conversationId: number): PromptMessage[] {
    const rows = this.statements.selectPromptRows.all(conversationId);
    const messages: PromptMessage[] = new Array(rows.length);
    for (let index = 0; index < rows.length; index += 1) {
      const row = rows[index]!;
      messages[index] = { id: row[0], role: row[1], content: row[2], tokenCount: row[3] };
    }
    return messages;
  }

  /**
   * The prompt history fitted to a budget. A history that fits whole (the usual case: at most
   * `wholeHistoryMaxTurns` turns within the budget, told by an index-only sum) comes from one query
   * as one run of request JSON; a longer one is read from the newest end of the history index in pages sized to
   * the budget left (content is read only for those rows), and the dropped turns are counted from the
   * conversation's `prompt_turns` (kept by triggers), so a 10,000-message conversation costs what
   * fits, not its length. Gives what `fitToBudget({ systemTokens, history: historyUpTo(
   * listPromptMessages(id), upToMessageId), budget })` gives, each turn as its request JSON, and
   * throws the same `message_too_large` when the newest message and the system prompt alone exceed the budget.
   */
  fitPromptHistory(conversationId: number, options: PromptHistoryOptions): FittedPrompt<PromptHistoryPart> {
    const { systemTokens, budget } = options;
    const upTo = options.upToMessageId ?? noMessageId;
    const reserved = options.newTurnTokens;
    const current =
      options.upToMessageId === undefined || reserved !== undefined ? undefined : this.statements.selectHistoryRow.get(options.upToMessageId, conversationId);
    const currentTokens = current?.[2] ?? reserved ?? 0;
    if ((current || reserved !== undefined) && systemTokens + currentTokens > budget) throw messageTooLarge(currentTokens, systemTokens, budget);
    // Every prompt turn (queued ones and the current one included): an upper bound of what is read.
    const promptTurns = this.statements.selectPromptTurns.get(conversationId) ?? 0;
    const whole =
      promptTurns <= wholeHistoryMaxTurns ? this.wholeHistory(conversationId, upTo, budget - systemTokens - currentTokens) : undefined;
    if (whole !== undefined) {
      const messages: PromptHistoryPart[] = whole.run === undefined ? [] : [whole.run];
      if (current) messages.push({ id: current[0], role: current[1], json: current[4], tokenCount: current[2] });
      return { messages, droppedCount: 0, totalTokens: systemTokens + currentTokens + whole.tokens };
    }
    const kept: HistoryRow[] = [];
    let total = systemTokens + (reserved ?? 0);
    let exhausted = true;
    const take = (row: HistoryRow): boolean => {
      // The first row taken is the turn being answered, unless that turn is the caller's (reserved).
      if (kept.length === 0 && reserved === undefined) {
        if (systemTokens + row[2] > budget) throw messageTooLarge(row[2], systemTokens, budget);
      } else if (total + row[2] > budget) {
        return false;
      }
      total += row[2];
      kept.push(row);
      return true;
    };
    if (current) take(current);
    // Pages keyed on (turn, id), each read with `.all()`: much cheaper per row than `.iterate()`.
    let pageSize = firstHistoryPage;
    let rows = this.statements.selectHistoryPage.all(conversationId, upTo, upTo, pageSize);
    paging: for (;;) {
      for (const row of rows) {
        if (!take(row)) {
          exhausted = false;
          break paging;
        }
      }
      if (rows.length < pageSize) break;
      const last = rows[rows.length - 1]!;
      pageSize = nextHistoryPage(budget - total, (total - systemTokens - (reserved ?? 0)) / kept.length);
      rows = this.statements.selectHistoryPageBefore.all(conversationId, upTo, upTo, last[3], last[0], pageSize);
    }
    let eligible = kept.length;
    if (!exhausted) {
      // Every prompt turn, less the user turns queued after the one being answered (few, and found by an index seek).
      eligible = promptTurns;
      if (upTo !== noMessageId) eligible -= this.statements.countQueuedAfter.get(conversationId, upTo) ?? 0;
    }
    const messages: EncodedPromptMessage[] = new Array(kept.length);
    for (let index = 0; index < kept.length; index += 1) {
      const [id, role, tokenCount, , json] = kept[kept.length - 1 - index]!;
      messages[index] = { id, role, json, tokenCount };
    }
    return { messages, droppedCount: eligible - kept.length, totalTokens: total };
  }

  /**
   * Every history turn before the one being answered, oldest first, as one run of request JSON,
   * when they fit in `tokensLeft` (summed from the index; the caller asks only for conversations of
   * at most `wholeHistoryMaxTurns` turns); undefined otherwise (the caller reads pages instead).
   * The turns reach JavaScript as one string that goes into the request as it is: better-sqlite3
   * costs ~1 µs per row returned, and a string per turn would be cut out and joined again. For 200
   * turns of the end-to-end bench's size, fitting and encoding the request took 0.24–0.40 ms against
   * 0.52–0.62 with records of id, turn and tokens cut out of one string (p50, four interleaved runs).
   */
  private wholeHistory(conversationId: number, upTo: number, tokensLeft: number): { run?: EncodedChatRun; tokens: number } | undefined {
    const [count, tokens] = this.statements.sumHistory.get(conversationId, upTo, upTo) ?? [0, 0];
    if (tokens > tokensLeft) return undefined;
    if (count === 0) return { tokens: 0 };
    const run = this.statements.selectWholeHistory.get(conversationId, upTo, upTo);
    return typeof run === 'string' ? { run: { run, count }, tokens } : undefined;
  }

  /** One stored message by id. */
  getMessage(id: number): StoredMessage | undefined {
    const row = this.statements.selectMessage.get(id);
    return row ? toStoredMessage(row) : undefined;
  }

  /** Every stored message of a conversation in prompt order, whatever its status (inspection, tests). */
  listMessages(conversationId: number): StoredMessage[] {
    return this.statements.selectMessages.all(conversationId).map(toStoredMessage);
  }

  /** A channel's own custom system prompt (not inherited: ask the parent channel next). */
  getChannelSystemPrompt(platform: Platform, workspaceId: string, channelId: string): ChannelSystemPrompt | undefined {
    const row = this.statements.selectChannelPrompt.get(platform, workspaceId, channelId);
    return row ? { prompt: row.system_prompt, setBy: row.set_by, setAt: row.set_at } : undefined;
  }

  /** Sets (or replaces) a channel's custom system prompt. */
  setChannelSystemPrompt(platform: Platform, workspaceId: string, channelId: string, prompt: string, setBy: string): void {
    this.statements.upsertChannelPrompt.run(platform, workspaceId, channelId, prompt, setBy, this.now());
  }

  /** Clears a channel's custom system prompt; true when there was one. */
  clearChannelSystemPrompt(platform: Platform, workspaceId: string, channelId: string): boolean {
    return this.statements.deleteChannelPrompt.run(platform, workspaceId, channelId).changes > 0;
  }

  /** Starts a new, empty active conversation for `key`; the old one stays readable (inactive) until retention. */
  resetConversation(key: ConversationKey): Conversation {
    return this.db
      .transaction(() => {
        this.statements.deactivate.run(this.now(), ...keyParameters(key));
        return this.createConversation(key);
      })
      .immediate();
  }

  /**
   * At start-up: replies a crash left `streaming` become `interrupted`, keeping the last text the
   * platform confirmed showing; returned with every part they posted so each can be marked.
   */
  recoverInterruptedReplies(): InterruptedReply[] {
    const stuck = this.statements.selectStreaming.all();
    if (stuck.length === 0) return [];
    const replies: InterruptedReply[] = stuck.map((row) => ({
      messageId: row.id,
      conversationId: row.conversation_id,
      platform: row.platform,
      content: row.content,
      parts: this.statements.selectParts.all(row.id).map((part) => ({
        index: part.part_index,
        ref: part.handle === null ? { channelId: part.channel_id, messageId: part.platform_message_id } : { channelId: part.channel_id, messageId: part.platform_message_id, handle: part.handle },
        text: part.text,
      })),
    }));
    const counts = stuck.map((row) => this.tokenCounter.countMessage(row.model ?? '', 'assistant', row.content));
    this.db
      .transaction(() => {
        const now = this.now();
        stuck.forEach((row, index) => {
          this.statements.markInterrupted.run(row.content === '' ? 0 : 1, counts[index]!, now, row.id);
        });
      })
      .immediate();
    return replies;
  }

  /**
   * User messages stored since `since` (ms) in active conversations that no reply was started for,
   * oldest first: the service stopped before answering them, and a platform retry is a duplicate by
   * then. Refused (not in prompt) messages are left out: they were answered with a fixed text.
   */
  listUnansweredUserMessages(since: number): UnansweredMessage[] {
    return this.statements.selectUnanswered.all(since, since).map((row) => ({
      message: toStoredMessage(row),
      conversation: toConversation({
        id: row.conversation_id,
        platform: row.c_platform,
        workspace_id: row.c_workspace_id,
        channel_id: row.c_channel_id,
        thread_key: row.c_thread_key,
        system_prompt: row.c_system_prompt,
        active: row.c_active,
        created_at: row.c_created_at,
        updated_at: row.c_updated_at,
      }),
      channelId: row.channel_id,
    }));
  }

  /** Deletes conversations (with their messages and parts) idle for more than `retentionDays`; 0 keeps everything. */
  deleteIdleConversations(retentionDays: number): number {
    if (!(retentionDays > 0)) return 0;
    return this.statements.deleteIdle.run(this.now() - retentionDays * dayMs).changes;
  }

  /** Deletes one conversation with its messages and parts. */
  forgetConversation(conversationId: number): void {
    this.statements.deleteConversation.run(conversationId);
  }

  /** Forgets processed events older than `maxAgeMs` (default a day: platforms retry within minutes). */
  pruneProcessedEvents(maxAgeMs: number = dayMs): number {
    return this.statements.deleteOldEvents.run(this.now() - maxAgeMs).changes;
  }

  /** Closes the database; resolves once its checkpoint thread, if any, has exited. */
  close(): Promise<void> {
    const stopped = this.checkpointer?.stop();
    if (this.db.open) this.db.close();
    return stopped ?? Promise.resolve();
  }

  /** appendUserMessage's writes, inside its transaction. */
  private storeUserMessage(input: NewUserMessage, tokenCount: number): AppendResult {
    const now = this.now();
    if (input.eventId !== undefined && this.statements.insertEvent.run(input.platform, input.eventId, now).changes === 0) {
      return { status: 'duplicate' };
    }
    const inserted = this.statements.insertUserMessage.run({
      conversationId: input.conversationId,
      content: input.content,
      authorId: input.authorId,
      platform: input.platform,
      channelId: input.channelId,
      platformMessageId: input.platformMessageId,
      inPrompt: input.inPrompt === false ? 0 : 1,
      tokenCount,
      model: input.model,
      now,
    });
    if (inserted.changes === 0) {
      // Stored meanwhile under its message id: undo the event row too, so a duplicate stores nothing.
      if (input.eventId !== undefined) this.statements.deleteEvent.run(input.platform, input.eventId);
      return { status: 'duplicate' };
    }
    const id = Number(inserted.lastInsertRowid);
    this.statements.setTurnToOwnId.run(id);
    this.statements.touchConversation.run(now, input.conversationId);
    return { status: 'stored', message: this.requireMessage(id) };
  }

  private createConversation(key: ConversationKey): Conversation {
    const now = this.now();
    const id = Number(this.statements.insertConversation.run(...keyParameters(key), now, now).lastInsertRowid);
    return toConversation(this.statements.selectConversation.get(id)!);
  }

  private requireMessage(id: number): StoredMessage {
    return toStoredMessage(this.statements.selectMessage.get(id)!);
  }
}

function keyParameters(key: ConversationKey): KeyParameters {
  return [key.platform, key.workspaceId, key.channelId, key.threadKey];
}

interface StreamingRow {
  id: number;
  conversation_id: number;
  content: string;
  model: string | null;
  platform: Platform;
}

interface PartRow {
  part_index: number;
  channel_id: string;
  platform_message_id: string;
  handle: string | null;
  text: string;
}

interface UnansweredRow extends MessageRow {
  channel_id: string;
  c_platform: Platform;
  c_workspace_id: string;
  c_channel_id: string;
  c_thread_key: string;
  c_system_prompt: string | null;
  c_active: number;
  c_created_at: number;
  c_updated_at: number;
}

interface ChannelPromptRow {
  system_prompt: string;
  set_by: string;
  set_at: number;
}

const conversationColumns = 'c.id, c.platform, c.workspace_id, c.channel_id, c.thread_key, c.system_prompt, c.active, c.created_at, c.updated_at';

function prepareStatements(db: Database) {
  const statement = <P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R> => db.prepare<P, R>(sql);
  const selectPromptRows = statement<[number], PromptRow>(
    `SELECT id, role, content, token_count FROM messages
     WHERE conversation_id = ? AND in_prompt = 1 AND status IN ('complete', 'interrupted')
     ORDER BY turn, id`,
  );
  selectPromptRows.raw(true);
  const eligible = `conversation_id = ? AND in_prompt = 1 AND status IN ('complete', 'interrupted')`;
  // Walks messages_history newest first and reads each row's content from the table as it goes:
  // one pass, where reading the index first and the content by id afterwards took ~60% longer.
  // Each turn comes as its request JSON, written by SQLite from the row, and goes into the request
  // as it is: for 200 turns, encoding the request took 0.16 ms instead of 0.30 (p50 in the
  // end-to-end bench), and reading them took as long as before (SQLite's JSON costs what the objects did).
  const historyColumns = "SELECT id, role, token_count, turn, json_object('role', role, 'content', content) FROM messages";
  const selectHistoryRow = statement<[number, number], HistoryRow>(`${historyColumns} WHERE id = ? AND ${eligible}`);
  selectHistoryRow.raw(true);
  const beforeTheCurrent = `id <> ? AND (role = 'assistant' OR id < ?)`;
  const selectHistoryPage = statement<[number, number, number, number], HistoryRow>(
    `${historyColumns} WHERE ${eligible} AND ${beforeTheCurrent} ORDER BY turn DESC, id DESC LIMIT ?`,
  );
  selectHistoryPage.raw(true);
  const selectHistoryPageBefore = statement<[number, number, number, number, number, number], HistoryRow>(
    `${historyColumns} WHERE ${eligible} AND ${beforeTheCurrent} AND (turn, id) < (?, ?) ORDER BY turn DESC, id DESC LIMIT ?`,
  );
  selectHistoryPageBefore.raw(true);
  // Index-only: how many turns come before the current one, and their tokens.
  const sumHistory = statement<[number, number, number], [count: number, tokens: number]>(
    `SELECT count(*), total(token_count) FROM messages WHERE ${eligible} AND ${beforeTheCurrent}`,
  );
  sumHistory.raw(true);
  // The turns' request JSON, comma-separated in prompt order. An aggregate over an ordered subquery
  // sees its rows in that order: SQLite keeps a FROM subquery's ORDER BY when the outer query uses
  // an aggregate other than count, min or max (select.c, where it drops ORDER BYs that do nothing),
  // does not flatten it into the aggregate, and runs it as a co-routine walking messages_history in
  // (turn, id) order. group_concat's own ORDER BY (SQLite 3.44+) says so in the query, but sorts
  // the rows again in a temporary b-tree: 0.23 ms instead of 0.16 for 200 turns. The prompt-history
  // tests check the order, replies stored after later questions included.
  const selectWholeHistory = statement<[number, number, number], string | null>(
    `SELECT group_concat(json, ',')
     FROM (SELECT json_object('role', role, 'content', content) AS json FROM messages WHERE ${eligible} AND ${beforeTheCurrent} ORDER BY turn, id)`,
  );
  selectWholeHistory.pluck(true);
  const selectPromptTurns = statement<[number], number>('SELECT prompt_turns FROM conversations WHERE id = ?');
  selectPromptTurns.pluck(true);
  // A user message's turn is its own id, so `turn > ?` seeks straight to the newer ones.
  const countQueuedAfter = statement<[number, number], number>(
    `SELECT count(*) FROM messages WHERE ${eligible} AND turn > ? AND role = 'user'`,
  );
  countQueuedAfter.pluck(true);
  return {
    selectHistoryRow,
    selectHistoryPage,
    selectHistoryPageBefore,
    sumHistory,
    selectWholeHistory,
    selectPromptTurns,
    countQueuedAfter,
    selectActive: statement<KeyParameters, ConversationRow>(
      `SELECT ${conversationColumns} FROM conversations c
       WHERE platform = ? AND workspace_id = ? AND channel_id = ? AND thread_key = ? AND active = 1`,
    ),
    selectConversation: statement<[number], ConversationRow>(`SELECT ${conversationColumns} FROM conversations c WHERE id = ?`),
    selectNewestActive: statement<[], ConversationRow>(
      `SELECT ${conversationColumns} FROM conversations c WHERE active = 1 ORDER BY updated_at DESC LIMIT 1`,
    ),
    selectConversationByPostedPart: statement<[Platform, string, string], ConversationRow>(
      `SELECT ${conversationColumns} FROM posted_parts p
       JOIN messages m ON m.id = p.message_id JOIN conversations c ON c.id = m.conversation_id
       WHERE p.platform = ? AND p.channel_id = ? AND p.platform_message_id = ?`,
    ),
    selectConversationByUserMessage: statement<[Platform, string, string], ConversationRow>(
      `SELECT ${conversationColumns} FROM messages m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.platform = ? AND m.channel_id = ? AND m.platform_message_id = ? AND m.role = 'user'`,
    ),
    insertConversation: statement<[...KeyParameters, number, number]>(
      `INSERT INTO conversations (platform, workspace_id, channel_id, thread_key, active, created_at, updated_at)
       VALUES (?, ?, ?, ?, 1, ?, ?)`,
    ),
    deactivate: statement<[number, ...KeyParameters]>(
      `UPDATE conversations SET active = 0, updated_at = ?
       WHERE platform = ? AND workspace_id = ? AND channel_id = ? AND thread_key = ? AND active = 1`,
    ),
    touchConversation: statement<[number, number]>('UPDATE conversations SET updated_at = ? WHERE id = ?'),
    setConversationPrompt: statement<[string | null, number, number]>('UPDATE conversations SET system_prompt = ?, updated_at = ? WHERE id = ?'),
    selectEvent: statement<[Platform, string]>('SELECT 1 FROM processed_events WHERE platform = ? AND event_id = ?'),
    insertEvent: statement<[Platform, string, number]>(
      'INSERT INTO processed_events (platform, event_id, first_seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    deleteEvent: statement<[Platform, string]>('DELETE FROM processed_events WHERE platform = ? AND event_id = ?'),
    deleteOldEvents: statement<[number]>('DELETE FROM processed_events WHERE first_seen_at < ?'),
    selectUserMessageId: statement<[Platform, string, string]>(
      `SELECT id FROM messages WHERE platform = ? AND channel_id = ? AND platform_message_id = ? AND role = 'user'`,
    ),
    insertUserMessage: statement<[Record<string, unknown>]>(
      `INSERT INTO messages (conversation_id, role, content, author_id, platform, channel_id, platform_message_id,
         status, in_prompt, token_count, model, created_at, updated_at)
       VALUES (@conversationId, 'user', @content, @authorId, @platform, @channelId, @platformMessageId,
         'complete', @inPrompt, @tokenCount, @model, @now, @now)
       ON CONFLICT (platform, channel_id, platform_message_id) WHERE role = 'user' DO NOTHING`,
    ),
    setTurnToOwnId: statement<[number]>('UPDATE messages SET turn = id WHERE id = ?'),
    setTurn: statement<[number | null, number]>('UPDATE messages SET turn = coalesce(?, id) WHERE id = ?'),
    insertReply: statement<[Record<string, unknown>]>(
      `INSERT INTO messages (conversation_id, role, content, status, in_prompt, token_count, model, created_at, updated_at)
       VALUES (@conversationId, 'assistant', '', 'streaming', 0, 0, @model, @now, @now)`,
    ),
    insertPostedPart: statement<[Record<string, unknown>]>(
      `INSERT OR REPLACE INTO posted_parts (platform, channel_id, platform_message_id, message_id, part_index, handle, text, posted_at)
       SELECT @platform, @channelId, @platformMessageId, id, @index, @handle, '', @now FROM messages WHERE id = @messageId`,
    ),
    setPartText: statement<[string, number, number]>('UPDATE posted_parts SET text = ? WHERE message_id = ? AND part_index = ?'),
    setStreamingContent: statement<[string, number, number]>(
      `UPDATE messages SET content = ?, updated_at = ? WHERE id = ? AND status = 'streaming'`,
    ),
    finishReply: statement<[FinishReplyValues]>(
      `UPDATE messages SET status = @status, content = @content, in_prompt = @inPrompt, token_count = @tokenCount,
         model = @model, prompt_tokens = @promptTokens, completion_tokens = @completionTokens, request_id = @requestId,
         updated_at = @now
       WHERE id = @id`,
    ),
    selectMessage: statement<[number], MessageRow>(`SELECT ${messageColumns} FROM messages WHERE id = ?`),
    selectMessages: statement<[number], MessageRow>(
      `SELECT ${messageColumns} FROM messages WHERE conversation_id = ? ORDER BY turn, id`,
    ),
    selectPromptRows,
    selectStreaming: statement<[], StreamingRow>(
      `SELECT m.id, m.conversation_id, m.content, m.model, c.platform FROM messages m
       JOIN conversations c ON c.id = m.conversation_id
       WHERE m.status = 'streaming' ORDER BY m.id`,
    ),
    selectParts: statement<[number], PartRow>(
      'SELECT part_index, channel_id, platform_message_id, handle, text FROM posted_parts WHERE message_id = ? ORDER BY part_index',
    ),
    markInterrupted: statement<[number, number, number, number]>(
      `UPDATE messages SET status = 'interrupted', in_prompt = ?, token_count = ?, updated_at = ? WHERE id = ? AND status = 'streaming'`,
    ),
    selectChannelPrompt: statement<[Platform, string, string], ChannelPromptRow>(
      'SELECT system_prompt, set_by, set_at FROM channel_settings WHERE platform = ? AND workspace_id = ? AND channel_id = ?',
    ),
    upsertChannelPrompt: statement<[Platform, string, string, string, string, number]>(
      `INSERT INTO channel_settings (platform, workspace_id, channel_id, system_prompt, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (platform, workspace_id, channel_id) DO UPDATE SET
         system_prompt = excluded.system_prompt, set_by = excluded.set_by, set_at = excluded.set_at`,
    ),
    deleteChannelPrompt: statement<[Platform, string, string]>(
      'DELETE FROM channel_settings WHERE platform = ? AND workspace_id = ? AND channel_id = ?',
    ),
    // Recent conversations first (their updated_at index), then their messages; a reply's turn is the question's id.
    selectUnanswered: statement<[number, number], UnansweredRow>(
      `SELECT ${messageColumns.split(', ').map((column) => `m.${column}`).join(', ')}, m.channel_id,
         c.platform AS c_platform, c.workspace_id AS c_workspace_id, c.channel_id AS c_channel_id, c.thread_key AS c_thread_key,
         c.system_prompt AS c_system_prompt, c.active AS c_active, c.created_at AS c_created_at, c.updated_at AS c_updated_at
       FROM conversations c JOIN messages m ON m.conversation_id = c.id
       WHERE c.updated_at >= ? AND c.active = 1
         AND m.role = 'user' AND m.created_at >= ? AND m.in_prompt = 1 AND m.status = 'complete' AND m.channel_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM messages a WHERE a.conversation_id = m.conversation_id AND a.turn >= m.id AND a.role = 'assistant')
       ORDER BY m.id`,
    ),
    deleteIdle: statement<[number]>('DELETE FROM conversations WHERE updated_at < ?'),
    deleteConversation: statement<[number]>('DELETE FROM conversations WHERE id = ?'),
  };
}
