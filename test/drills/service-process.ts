import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** `npm start`'s entry, compiled by the test global setup. */
export const serviceEntry = path.join(root, 'dist', 'src', 'main.js');

/**
 * The node options `npm start` gives the service: package.json's start script is
 * `exec node [options] dist/src/main.js`. Found from here or from the build (dist/test/drills).
 */
export function startScriptNodeArguments(): string[] {
  for (let folder = path.dirname(fileURLToPath(import.meta.url)); ; folder = path.dirname(folder)) {
    const manifestPath = path.join(folder, 'package.json');
    if (existsSync(manifestPath)) {
      const start = (JSON.parse(readFileSync(manifestPath, 'utf8')) as { scripts?: { start?: unknown } }).scripts?.start;
      const match = typeof start === 'string' ? /^exec node((?: --\S+)*) dist\/src\/main\.js$/.exec(start) : null;
      if (match === null) throw new Error(`${manifestPath}: the start script is not "exec node [options] dist/src/main.js"`);
      return (match[1] ?? '').split(' ').filter((option) => option !== '');
    }
    if (path.dirname(folder) === folder) throw new Error('no package.json above the drills');
  }
}

/** A service started as its own process, the way `npm start` runs it. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Parsed JSON log lines so far. */
  readonly logs: Array<Record<string, unknown>>;
  /** Whatever the process wrote to stderr. */
  readonly errors: string[];
  readonly port: number;
  readonly url: string;
  /** Resolves with the exit code and signal once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** GET /healthz. */
  health(): Promise<{ status: number; body: { status: string; platforms: Record<string, string> } }>;
  /** Resolves when /healthz answers 200. */
  waitForHealthy(timeoutMs?: number): Promise<void>;
  /** Resolves when a log line matches. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGKILLs the process if it still runs (test cleanup). */
  kill(): Promise<void>;
}

/** npm's own CLI: the one running the tests, else the one installed beside this node. */
function npmCli(): string {
  return process.env.npm_execpath ?? path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
}

/**
 * Starts `node [the start script's options] dist/src/main.js` with exactly this environment (plus PATH), and waits for it to listen.
 * With `viaNpm`, runs `npm start` instead (without its prestart build, which the global setup did,
 * and without npm's update check, which would leave 127.0.0.1),
 * in a process group of its own, so `kill()` also reaches a bot that npm left behind.
 */
export async function startServiceProcess(environment: Record<string, string>, options: { startTimeoutMs?: number; viaNpm?: boolean } = {}): Promise<ServiceProcess> {
  const command = options.viaNpm ? [npmCli(), 'start', '--ignore-scripts', '--silent', '--no-update-notifier'] : [...startScriptNodeArguments(), serviceEntry];
  const child = spawn(process.execPath, command, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', PORT: '0', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.viaNpm === true,
  });
  const logs: Array<Record<string, unknown>> = [];
  const errors: string[] = [];
  const listeners = new Set<() => void>();
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        errors.push(line);
      }
      newline = buffered.indexOf('\n');
    }
    for (const listener of [...listeners]) listener();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => errors.push(chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal, at: Date.now() });
      for (const listener of [...listeners]) listener();
    });
  });

  const waitForLog = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 15_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = logs.find(predicate);
        if (found) {
          done();
          resolve(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`service exited before the log line appeared: ${errors.join('')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for a log line; stderr: ${errors.join('')}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  let listening: Record<string, unknown>;
  try {
    listening = await waitForLog((line) => line.msg === 'HTTP server listening', options.startTimeoutMs ?? 20_000);
  } catch (error) {
    // Never leave a half-started service behind.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw error;
  }
  const port = Number(listening.port);
  const url = `http://127.0.0.1:${port}`;
  const health = async () => {
    const response = await fetch(`${url}/healthz`);
    return { status: response.status, body: (await response.json()) as { status: string; platforms: Record<string, string> } };
  };
  return {
    child,
    logs,
    errors,
    port,
    url,
    exited,
    health,
    waitForLog,
    async waitForHealthy(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const answer = await health().catch(() => undefined);
        if (answer?.status === 200) return;
        if (Date.now() > deadline) throw new Error(`service not healthy: ${JSON.stringify(answer?.body)}; stderr: ${errors.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async kill() {
      if (options.viaNpm && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group is gone already.
        }
      }
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export { eventually } from '../eventually.js';
