import { describe, expect, it } from 'vitest';
import { BetweenEventsCollector, collectBelow, youngGeneration } from '../../src/between-events-collector.js';
import { garbageCollector } from '../../src/start-up-garbage.js';

const megabyte = 1024 * 1024;
const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const threshold = (): number => collectBelow(youngGeneration(), megabyte);

/** Allocates short-lived garbage until the collector's threshold is crossed (a scavenge on the way resets it, so it loops). */
function fillYoungGeneration(): void {
  let sink = 0;
  for (let round = 0; round < 1_000_000 && youngGeneration().freeBytes >= threshold(); round += 1) {
    for (let index = 0; index < 100; index += 1) sink += new Array<number>(64).fill(index).length;
  }
  expect(sink).toBeGreaterThan(0);
  expect(youngGeneration().freeBytes).toBeLessThan(threshold());
}

describe('BetweenEventsCollector', () => {
  it('collects a nearly full young generation after the events, not while they are handled', async () => {
    const collector = new BetweenEventsCollector(megabyte);
    fillYoungGeneration();
    collector.afterEvents();
    collector.afterEvents();
    // Nothing yet: the requests of the events just handled are still being written by queued microtasks.
    expect(collector.collections).toBe(0);
    expect(youngGeneration().freeBytes).toBeLessThan(threshold());
    await nextCheckPhase();
    expect(collector.collections).toBe(1);
    expect(youngGeneration().freeBytes).toBeGreaterThan(threshold());
  });

  it('leaves a young generation with room to spare alone', async () => {
    garbageCollector()({ type: 'minor' });
    const collector = new BetweenEventsCollector(megabyte);
    expect(youngGeneration().freeBytes).toBeGreaterThan(threshold());
    collector.afterEvents();
    await nextCheckPhase();
    expect(collector.collections).toBe(0);
  });

  it('waits for half of a young generation smaller than the reserve (a quiet process)', () => {
    expect(collectBelow({ freeBytes: 0, sizeBytes: 2 * megabyte }, 8 * megabyte)).toBe(megabyte);
    expect(collectBelow({ freeBytes: 0, sizeBytes: 16 * megabyte }, 8 * megabyte)).toBe(8 * megabyte);
  });
});
