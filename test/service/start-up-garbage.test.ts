import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { collectStartUpGarbage } from '../../src/start-up-garbage.js';

function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_used_size ?? Number.NaN;
}

describe('collectStartUpGarbage', () => {
  it('empties the young generation, keeps what is alive, and leaves gc() unexposed', () => {
    const kept = Array.from({ length: 50_000 }, (_, index) => ({ index, text: `start-up object ${index}` }));
    expect(youngGenerationBytes()).toBeGreaterThan(64 * 1024);
    const ms = collectStartUpGarbage();
    expect(ms).toBeGreaterThan(0);
    // Survivors moved to the old generation: the first scavenge under load has nothing of start-up left to copy.
    expect(youngGenerationBytes()).toBeLessThan(64 * 1024);
    expect(kept[49_999]?.text).toBe('start-up object 49999');
    expect(Reflect.get(globalThis, 'gc')).toBeUndefined();
  });
});
