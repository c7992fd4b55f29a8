import { readFileSync } from 'node:fs';

/** USER_HZ: /proc/stat counts in hundredths of a second on Linux. */
const ticksPerSecond = 100;

/**
 * CPU time the hypervisor gave to others while this virtual machine's CPUs had work (the `steal`
 * column of /proc/stat, all CPUs), in ms since boot; undefined where /proc/stat has no such column.
 * Neither the service's clock nor its threads' run-queue wait can see it: a stolen stretch looks
 * like slow code.
 */
export function hostStealMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const steal = Number(line.trim().split(/\s+/)[8]);
    return line.startsWith('cpu ') && Number.isFinite(steal) ? (steal * 1000) / ticksPerSecond : undefined;
  } catch {
    return undefined;
  }
}
