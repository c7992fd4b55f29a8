import { getHeapSpaceStatistics } from 'node:v8';
import { garbageCollector, type GarbageCollector } from './start-up-garbage.js';

/**
 * Free young-generation space below which a collection runs between events. Handling one event
 * (Bolt or discord.js, the stored turn, a 200-message history, its request) allocates a few
 * hundred KB, a handful can arrive in one read, and the answers streaming meanwhile allocate
 * ~1 MB per 10 ms. On the end-to-end bench 8 MiB kept the slowest event of a round at or under
 * 10 ms in 8 of 12 rounds, 4 MiB in 1 of 12 (interleaved runs).
 */
export const defaultReserveBytes = 8 * 1024 * 1024;

/** Room in V8's young generation (its `new_space`). */
export interface YoungGeneration {
  /** Bytes it can still allocate before V8 must collect it. */
  freeBytes: number;
  /** Its current capacity: small while the process is quiet, up to 16 MiB under load. */
  sizeBytes: number;
}

/** The young generation's room now. */
export function youngGeneration(): YoungGeneration {
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === 'new_space') return { freeBytes: space.space_available_size, sizeBytes: space.space_size };
  }
  return { freeBytes: Number.POSITIVE_INFINITY, sizeBytes: Number.POSITIVE_INFINITY };
}

/** Free bytes below which `young` is collected: the reserve, or half of a smaller (quiet) young generation. */
export function collectBelow(young: YoungGeneration, reserveBytes: number): number {
  return Math.min(reserveBytes, young.sizeBytes / 2);
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
  private readonly collect: GarbageCollector = garbageCollector();

  constructor(private readonly reserveBytes: number = defaultReserveBytes) {}

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
    const young = youngGeneration();
    // A quiet process's young generation is smaller than the reserve: collect it only once half full.
    if (young.freeBytes >= collectBelow(young, this.reserveBytes)) return;
    this.collections += 1;
    this.collect({ type: 'minor' });
  };
}
