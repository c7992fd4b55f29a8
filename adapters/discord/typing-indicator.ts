import type { Logger } from '../../src/logger.js';

/** Discord shows "is typing…" for 10 s after each call: refresh a little before it lapses. */
const refreshMs = 9_000;
/** Safety net: nobody waits this long for a first word; stop typing even if no post comes. */
const maxTypingMs = 120_000;

/**
 * Keeps "groqbot is typing…" visible in one channel until `stop()` (the first post landed,
 * the reply ended, or the adapter stopped).
 */
export class TypingIndicator {
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private stopped = false;

  constructor(
    private readonly sendTyping: () => Promise<unknown>,
    private readonly logger: Logger,
    private readonly onStop: (indicator: TypingIndicator) => void,
  ) {}

  /** Sends typing now and keeps refreshing it; a second call while running does nothing. */
  async start(): Promise<void> {
    if (this.stopped || this.timer !== undefined) return;
    this.startedAt = Date.now();
    this.timer = setInterval(() => {
      if (Date.now() - this.startedAt >= maxTypingMs) {
        this.stop();
        return;
      }
      void this.send();
    }, refreshMs);
    this.timer.unref();
    await this.send();
  }

  /** Stops refreshing; Discord clears the indicator by itself within 10 s (or at our next post). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.onStop(this);
  }

  private async send(): Promise<void> {
    try {
      await this.sendTyping();
    } catch (error) {
      // Typing is cosmetic: a failure must never disturb the reply.
      this.logger.debug({ err: error }, 'typing indicator failed');
    }
  }
}
