import { GroqbotError } from '../errors.js';
import type { Platform } from '../platform.js';
import type { ConversationRepository } from '../store/conversation-repository.js';
import type { AppendResult, CountedUserMessage, NewUserMessage } from '../store/types.js';
import { UserTurn } from './user-turn.js';

interface PendingTurn extends CountedUserMessage {
  turn: UserTurn;
}

type StoreResult = AppendResult | { status: 'failed'; error: unknown };

/**
 * User messages taken in while the event queue runs, stored together, in arrival order, once it is
 * idle: their Groq requests go out first. Storing a question took ~0.2 ms idle and two to three
 * times that during a burst, before every request of the events that arrived with it. Until a
 * message is stored `has` answers for it, so a platform retry arriving in between is still dropped.
 */
export class PendingTurns {
  private waiting: PendingTurn[] = [];
  private readonly keys = new Set<string>();

  constructor(private readonly repository: ConversationRepository) {}

  /** True when a message with this event id, or this platform message id, waits to be stored. */
  has(platform: Platform, eventId: string | undefined, channelId: string, messageId: string): boolean {
    if (this.waiting.length === 0) return false;
    return (eventId !== undefined && this.keys.has(eventKey(platform, eventId))) || this.keys.has(messageKey(platform, channelId, messageId));
  }

  /** Holds `message` (its tokens counted) for the next `storeAll`; the turn settles then. */
  add(message: NewUserMessage, tokenCount: number, turn: UserTurn): void {
    this.waiting.push({ message, tokenCount, turn });
    if (message.eventId !== undefined) this.keys.add(eventKey(message.platform, message.eventId));
    this.keys.add(messageKey(message.platform, message.channelId, message.platformMessageId));
  }

  /**
   * Stores every held message in one transaction and settles their turns. When that fails they are
   * stored one at a time, so a message the store refuses fails alone.
   */
  storeAll(): void {
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.keys.clear();
    let results: StoreResult[];
    try {
      results = this.repository.appendUserMessages(batch);
    } catch {
      results = batch.map((entry) => {
        try {
          return this.repository.appendUserMessages([entry])[0] ?? { status: 'failed', error: undefined };
        } catch (error) {
          return { status: 'failed', error };
        }
      });
    }
    for (const [index, { turn }] of batch.entries()) {
      const result = results[index];
      if (result?.status === 'stored') turn.markStored(result.message.id);
      // Checked against the store and this batch when it arrived: only another writer could have stored it since.
      else if (result?.status === 'duplicate') turn.markFailed(new GroqbotError('the message was stored already', { code: 'duplicate_message' }));
      else turn.markFailed(new GroqbotError('could not store the message', { code: 'store_failed', cause: result?.error, retryable: true }));
    }
  }
}

function eventKey(platform: Platform, eventId: string): string {
  return `${platform}\n${eventId}`;
}

function messageKey(platform: Platform, channelId: string, messageId: string): string {
  return `${platform}\n${channelId}\n${messageId}`;
}
