import { GroqbotError } from '../errors.js';

/** A user turn as its prompt needs it before it is stored: the request JSON and its token count. */
export interface UnstoredTurnPrompt {
  json: string;
  tokenCount: number;
}

/**
 * The user message an answer answers. A message from a platform event is stored once the events
 * that arrived with it have been handled (see PendingTurns), after its Groq request is on its way:
 * until then its prompt comes from memory.
 */
export class UserTurn {
  private storedId: number | undefined;
  private failure: GroqbotError | undefined;
  private settle: () => void = () => {};
  /** Resolves once the turn is stored or storing it failed; never rejects. */
  readonly settled: Promise<void>;

  private constructor(
    /** The turn's prompt while it is not stored; undefined for a turn stored from the start. */
    readonly unstored: UnstoredTurnPrompt | undefined,
    storedId: number | undefined,
  ) {
    this.storedId = storedId;
    this.settled = storedId === undefined ? new Promise<void>((resolve) => (this.settle = resolve)) : Promise.resolve();
  }

  /** A turn already in the store (commands, turns resumed at start-up). */
  static stored(id: number): UserTurn {
    return new UserTurn(undefined, id);
  }

  /** A turn to be stored later; `prompt` stands for it in its request. */
  static unstored(prompt: UnstoredTurnPrompt): UserTurn {
    return new UserTurn(prompt, undefined);
  }

  /** The stored message's id; undefined until it is stored. */
  get id(): number | undefined {
    return this.storedId;
  }

  /** The stored message's id; throws when storing failed or has not happened yet. */
  requireId(): number {
    if (this.storedId !== undefined) return this.storedId;
    throw this.failure ?? new GroqbotError('the message is not stored yet', { code: 'message_not_stored' });
  }

  /** Resolves once stored; rejects when storing failed (the platform's acknowledgement waits for it). */
  async whenStored(): Promise<void> {
    await this.settled;
    this.requireId();
  }

  /** Records the stored row. */
  markStored(id: number): void {
    this.storedId = id;
    this.settle();
  }

  /** Records why the turn could not be stored. */
  markFailed(failure: GroqbotError): void {
    this.failure = failure;
    this.settle();
  }
}
