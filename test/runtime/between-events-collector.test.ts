import { describe, expect, it } from 'vitest';
import { BetweenEventsCollector, youngGenerationFreeBytes } from '../../src/between-events-collector.js';
import { garbageCollector } from '../../src/start-up-garbage.js';

const megabyte = 1024 * 1024;
const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Allocates short-lived garbage until the young generation has less than `bytes` left (a scavenge on the way resets it, so it loops). */
function fillYoungGeneration(bytes: number): void {
  let sink = 0;
  for (let round = 0; round < 1_000_000 && youngGenerationFreeBytes() >= bytes; round += 1) {
    for (let index = 0; index < 100; index += 1) sink += new Array<number>(64).fill(index).length;
  }
  expect(sink).toBeGreaterThan(0);
  expect(youngGenerationFreeBytes()).toBeLessThan(bytes);
}

describe('BetweenEventsCollector', () => {
  it('collects a nearly full young generation after the events, not while they are handled', async () => {
    const collector = new BetweenEventsCollector({ reserveBytes: megabyte });
    fillYoungGeneration(megabyte);
    collector.afterEvents();
    collector.afterEvents();
    // Nothing yet: the requests of the events just handled are still being written by queued microtasks.
    expect(collector.collections).toBe(0);
    expect(youngGenerationFreeBytes()).toBeLessThan(megabyte);
    await nextCheckPhase();
    expect(collector.collections).toBe(1);
    expect(youngGenerationFreeBytes()).toBeGreaterThan(megabyte);
  });

  it('leaves a young generation with room to spare alone', async () => {
    garbageCollector()({ type: 'minor' });
    const collector = new BetweenEventsCollector({ reserveBytes: megabyte });
    expect(youngGenerationFreeBytes()).toBeGreaterThan(megabyte);
    collector.afterEvents();
    await nextCheckPhase();
    expect(collector.collections).toBe(0);
  });
});
