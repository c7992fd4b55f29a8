/**
 * Wall-clock milliseconds with sub-millisecond precision, on the same scale as Date.now(): the clock
 * the fakes stamp benchmark timings with, so times taken by different fakes in one process compare.
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
