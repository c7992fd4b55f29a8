import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

/** A `gc` performance entry: Node puts the collection's kind in `detail`. */
type GcEntry = PerformanceEntry & { detail?: { kind?: number } };

/**
 * Runs `warm` (a token count) in the check phase after each full garbage collection; returns a
 * function that stops it. V8 drops a regular expression's compiled form in full collections that
 * find it unused, and the o200k tokenizer splits text with one whose Unicode classes take 8–12 ms
 * to build again. A few seconds into a quiet spell V8's memory reducer ran full collections, so
 * the first message after the quiet paid that inside its handling (12 ms of a 23 ms event on the
 * end-to-end bench); `npm start` now turns the reducer off, but full collections still come with
 * heap growth, and a bot started without the start script's options still has the reducer.
 * Counting a word right after each full collection builds it again there, off any message's path,
 * and leaves it in use for the next collection.
 */
export function rewarmAfterFullCollections(warm: () => void): () => void {
  let scheduled = false;
  const observer = new PerformanceObserver((list) => {
    if (scheduled) return;
    const full = list.getEntries().some((entry) => (entry as GcEntry).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (!full) return;
    scheduled = true;
    // Not unref'd: an unref'd immediate waits until something else wakes the loop, in a quiet
    // process the next message, which is what this is for.
    setImmediate(() => {
      scheduled = false;
      warm();
    });
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
