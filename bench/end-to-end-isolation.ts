import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Node options of the process that hosts the fakes. Traced with --trace-gc: its mark-compacts
 * (20–32 ms, some started by the memory reducer in the quiet spell) and a young generation that
 * had shrunk held its event loop up to 100 ms inside bursts, so events planned 10 ms apart left
 * late and several at once, and the service met them as a group.
 */
export const fakesNodeArguments = ['--min-semi-space-size=16', '--initial-old-space-size=192', '--no-memory-reducer'];

/** Set in the child that runs the rounds. */
const childMarker = 'GROQBOT_BENCH_FAKES_PROCESS';
/** Set to 1 to give the fakes the same CPU priority as the service. */
const equalPriorityVariable = 'GROQBOT_BENCH_EQUAL_PRIORITY';

/** How the fakes share the CPU with the service, as printed. */
export interface Isolation {
  /** True in the parent: the child has run the rounds and printed them. */
  done: boolean;
  description: string;
}

/**
 * Runs the end-to-end rounds in a child process of their own session (`detached`), with the fakes'
 * node options, and returns `done` once it exited; in that child, lowers the session's CPU priority
 * (Linux autogroup nice 10), since the fakes stand for Slack, Discord and Groq, which take none of
 * the service's CPU in production. The service is started in a session of its own (nice 0), so on
 * this 2-core machine it gets the CPU it asks for and the fakes what is left.
 */
export async function isolateFakes(): Promise<Isolation> {
  if (process.env[childMarker] === '1') return { done: false, description: lowerOwnPriority() };
  const entry = fileURLToPath(new URL('./end-to-end-main.js', import.meta.url));
  const child = spawn(process.execPath, [...fakesNodeArguments, entry], {
    detached: true,
    stdio: 'inherit',
    env: { ...process.env, [childMarker]: '1' },
  });
  // Detached, the child is not in the terminal's process group: pass Ctrl-C and SIGTERM on.
  let interrupted = false;
  const forward = (signal: NodeJS.Signals): void => {
    interrupted = true;
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode) => resolve(exitCode));
    });
    // Interrupted, it has stopped its services and said so: leave with its code, not a stack.
    if (interrupted) process.exit(code ?? 130);
    if (code !== 0) throw new Error(`the end-to-end bench process exited with code ${code}`);
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
  return { done: true, description: '' };
}

function lowerOwnPriority(): string {
  const options = `node ${fakesNodeArguments.join(' ')}`;
  const equal = (reason: string): string => `fakes: ${options}; the same CPU priority as the service (${reason})`;
  if (process.env[equalPriorityVariable] === '1') return equal(`${equalPriorityVariable}=1`);
  try {
    if (readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() !== '1') return equal('Linux autogroup is off');
    writeFileSync('/proc/self/autogroup', '10');
  } catch {
    return equal('no Linux autogroup here');
  }
  return `fakes: ${options}; lower CPU priority than the service (autogroup nice 10: they stand for remote services); ${equalPriorityVariable}=1 shares the CPU equally`;
}
