import { describe, expect, it } from 'vitest';
import { garbageCollector } from '../../src/start-up-garbage.js';
import { rewarmAfterFullCollections } from '../../src/tokens/rewarm-after-full-collections.js';
import { eventually } from '../eventually.js';

describe('rewarmAfterFullCollections', () => {
  it('warms after each full collection, and no more once stopped', async () => {
    const collect = garbageCollector();
    let warmed = 0;
    const stop = rewarmAfterFullCollections(() => (warmed += 1));
    try {
      // The test runner's own full collections may add warm-ups; each forced one must add at least one.
      for (let round = 0; round < 2; round += 1) {
        const before = warmed;
        collect();
        await eventually(() => warmed > before, 5_000, 'the warm-up after a full collection');
      }
    } finally {
      stop();
    }
    const stopped = warmed;
    collect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(warmed).toBe(stopped);
  });
});
