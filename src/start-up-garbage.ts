import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Runs one full garbage collection; the service calls it once it is up, before it serves traffic.
 * What start-up allocated (modules, the platform clients' caches, recovery) otherwise waits in the
 * young generation until the first burst of messages, whose first scavenge then copies all of it:
 * a pause of ~35 ms in the middle of the burst on the end-to-end bench. Returns its duration in ms.
 */
export function collectStartUpGarbage(): number {
  const collect = garbageCollector();
  const startedAt = performance.now();
  collect();
  return performance.now() - startedAt;
}

/** A young-generation (`{ type: 'minor' }`) or full collection, run now. */
export type GarbageCollector = (options?: { type: 'minor' | 'major' }) => void;

/** V8's `gc()`, without exposing it to every context for the rest of the process (Jest gets it the same way). */
export function garbageCollector(): GarbageCollector {
  const exposed: unknown = Reflect.get(globalThis, 'gc');
  if (typeof exposed === 'function') return exposed as GarbageCollector;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as GarbageCollector;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
