import { preciseNow } from '../test/fakes/precise-clock.js';

/** A moment the process's event loop came back late: it ended at `at` after `lateMs` beyond its timer. */
export interface Stall {
  at: number;
  lateMs: number;
}

/** Records event-loop stalls of this process (a 10 ms timer coming back more than `thresholdMs` late). */
export class StallRecorder {
  readonly stalls: Stall[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last = 0;

  constructor(private readonly thresholdMs = 30) {}

  start(): void {
    this.last = preciseNow();
    const tick = (): void => {
      const now = preciseNow();
      const lateMs = now - this.last - 10;
      if (lateMs > this.thresholdMs) this.stalls.push({ at: now, lateMs });
      this.last = now;
      this.timer = setTimeout(tick, 10);
    };
    this.timer = setTimeout(tick, 10);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The latest stall that ended within `windowMs` before `at` (Date.now scale), if any. */
  before(at: number, windowMs: number): Stall | undefined {
    return this.stalls.filter((stall) => stall.at <= at + 1 && stall.at >= at - windowMs).at(-1);
  }
}
