import { getHeapSpaceStatistics } from 'node:v8';
import { garbageCollector, type GarbageCollector } from './start-up-garbage.js';

/**
 * Free young-generation space below which a collection runs between events. Handling one event
 * (Bolt or discord.js, the stored turn, a 200-message history, its request) allocates a few
 * hundred KB, and a handful can arrive in one read.
 */
export const defaultReserveBytes = 4 * 1024 * 1024;

/** What the collector needs: how much room is left, and a young-generation collection. */
export interface BetweenEventsCollectorOptions {
  reserveBytes?: number;
  /** Bytes the young generation can still allocate before V8 must collect it. */
  freeBytes?: () => number;
  collect?: () => void;
}

/** Free bytes of V8's young generation (its `new_space`). */
export function youngGenerationFreeBytes(): number {
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_available_size;
  return Number.POSITIVE_INFINITY;
}

/**
 * Collects the young generation between events when it is nearly full. V8 collects when an
 * allocation finds no room; during a burst that is often in the middle of handling an event, after
 * it was read and before its Groq request is written, and the whole pause (3–10 ms with 50 answers
 * streaming on two cores) lands on that event. Collected a little earlier, after the requests of
 * the events just handled are written, the same pause delays no event in progress.
 */
export class BetweenEventsCollector {
  /** Collections this collector ran. */
  collections = 0;
  private scheduled = false;
  private readonly reserveBytes: number;
  private readonly freeBytes: () => number;
  private readonly collect: () => void;

  constructor(options: BetweenEventsCollectorOptions = {}) {
    this.reserveBytes = options.reserveBytes ?? defaultReserveBytes;
    this.freeBytes = options.freeBytes ?? youngGenerationFreeBytes;
    this.collect = options.collect ?? minorCollector();
  }

  /**
   * Call when the events that arrived together have been handled. The check waits for the loop's
   * check phase: their requests are written by microtasks that may still be queued.
   */
  afterEvents(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.check);
  }

  private readonly check = (): void => {
    this.scheduled = false;
    if (this.freeBytes() >= this.reserveBytes) return;
    this.collections += 1;
    this.collect();
  };
}

function minorCollector(): () => void {
  const collect: GarbageCollector = garbageCollector();
  return () => collect({ type: 'minor' });
}
