/**
 * Wall-clock milliseconds with sub-millisecond precision, on the same scale as Date.now(): for
 * latencies of a few milliseconds, and comparable between processes on one machine.
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
