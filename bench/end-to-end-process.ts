import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startScriptNodeArguments } from '../test/drills/service-process.js';

/** The service running as a child process (`dist/src/main.js`, as `npm start` runs it). */
export interface ServiceProcess {
  readonly pid: number;
  /** The HTTP port it reported in its "HTTP server listening" log line. */
  readonly port: number;
  /** Its structured log lines so far, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** User + system CPU the process has used so far, in ms (from /proc; NaN where there is none). */
  cpuMs(): number;
  /** Peak resident set size so far, in MB (VmHWM from /proc; NaN where there is none). */
  peakRssMb(): number;
  /** How its event-loop thread has been scheduled so far (from /proc; NaN where there is none). */
  loopThreadSchedule(): ThreadSchedule;
  /** Resolves once `count` log lines with this `msg` have appeared (rejects after `timeoutMs`). */
  waitForLog(message: string, count: number, timeoutMs: number): Promise<void>;
  /** SIGTERM, then waits for the exit; resolves with the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** What the kernel's scheduler did to one thread: since it started, or within a span (a burst). */
export interface ThreadSchedule {
  /** Time it was ready to run but waited for a CPU, in ms. */
  waitedMs: number;
  /** Times the scheduler took the CPU from it while it could still run. */
  preemptions: number;
}

const mainPath = fileURLToPath(new URL('../src/main.js', import.meta.url));

let clockTicks: number | undefined;

/** Services still running: in sessions of their own, they hear no Ctrl-C, so this process stops them. */
const running = new Set<ChildProcess>();
let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const stopAll = (signal: NodeJS.Signals): void => {
    for (const child of running) child.kill(signal);
  };
  process.on('exit', () => stopAll('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopAll('SIGTERM');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat CPU times. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    return ((userTicks + systemTicks) * 1000) / ticksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/**
 * The main thread's task (its id is the process id): `schedstat` holds time on a CPU and time
 * runnable but waiting, in ns; `status` counts nonvoluntary context switches.
 */
function procLoopThreadSchedule(pid: number): ThreadSchedule {
  try {
    const waitedNs = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]);
    const switches = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'));
    return { waitedMs: waitedNs / 1e6, preemptions: switches ? Number(switches[1]) : Number.NaN };
  } catch {
    return { waitedMs: Number.NaN, preemptions: Number.NaN };
  }
}

function procPeakRssMb(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Starts the service with exactly `environment` (no inherited variables, no .env: `cwd` holds none)
 * in a session of its own (its own CPU autogroup on Linux, see end-to-end-isolation.ts), and waits
 * until it has started.
 */
export async function startServiceProcess(
  environment: Record<string, string>,
  cwd: string,
  options: { nodeArguments?: string[]; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const nodeArguments = [...startScriptNodeArguments(), ...(options.nodeArguments ?? [])];
  installCleanup();
  const child: ChildProcess = spawn(process.execPath, [...nodeArguments, mainPath], { cwd, env: environment, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  const logs: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const listeners = new Set<() => void>();
  let exited = false;
  let exitCode: number | null = null;
  const exit = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      exited = true;
      exitCode = code;
      for (const listener of listeners) listener();
      resolve(code);
    });
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
    for (const listener of listeners) listener();
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));

  const waitForLog = (message: string, count: number, waitMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (logs.filter((line) => line.msg === message).length >= count) {
          done();
          resolve();
        } else if (exited) {
          done();
          reject(new Error(`service exited (code ${exitCode}) before logging "${message}" ×${count}: ${stderr.join('').slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`service did not log "${message}" ×${count} within ${waitMs} ms`));
      }, waitMs);
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  try {
    await waitForLog('groqbot started', 1, timeoutMs);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const port = Number(logs.find((line) => line.msg === 'HTTP server listening')?.port);
  const pid = child.pid!;
  return {
    pid,
    port,
    logs,
    cpuMs: () => procCpuMs(pid),
    peakRssMb: () => procPeakRssMb(pid),
    loopThreadSchedule: () => procLoopThreadSchedule(pid),
    waitForLog,
    async stop(stopTimeoutMs = 20_000): Promise<number | null> {
      if (exited) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}
