import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Database } from './database.js';

/** SQLite's own automatic checkpoint threshold (pages), restored should the thread fail. */
const sqliteAutoCheckpointPages = 1000;
/** How often the thread checkpoints; a PASSIVE checkpoint with nothing to copy costs microseconds. */
const defaultIntervalMs = 1_000;

/** What one checkpoint did (PRAGMA wal_checkpoint's row), as the thread reports it. */
export interface CheckpointResult {
  /** Frames in the WAL. */
  walFrames: number;
  /** Frames copied into the database file so far (all of them once the WAL may restart). */
  checkpointedFrames: number;
}

/** Options of `startWalCheckpointer`. */
export interface WalCheckpointerOptions {
  intervalMs?: number;
  /** The thread failed; SQLite's automatic checkpoint is back on the main connection. */
  onFailure(error: Error): void;
  /** Each checkpoint that copied frames. */
  onCheckpoint?(result: CheckpointResult): void;
  /** Each time the thread started the WAL over (see `threadSource`). */
  onRestart?(): void;
}

/** A running checkpoint thread. */
export interface WalCheckpointer {
  /** Stops checkpointing; resolves once the thread closed its connection and exited. */
  stop(): Promise<void>;
}

/** Messages from the thread. */
type ThreadMessage = { kind: 'checkpoint'; walFrames: number; checkpointedFrames: number } | { kind: 'restarted' } | { kind: 'failed'; message: string };

// Plain JavaScript run with `eval: true`, so the same code runs from the build and under the test
// runner (which does not transform a worker's file). It opens its own connection to the file.
//
// Once every frame is copied, the next commit starts the WAL over, and the first frame of a WAL
// that starts over is written with its header, which SQLite fsyncs (synchronous=NORMAL syncs only
// there): 1 ms on this machine's disk, 10 ms and more under I/O load, inside the first message of
// every burst after a quiet spell. So this thread makes that commit itself, rewriting
// user_version (unused by the schema) with its own value: one frame, whose header sync is paid
// here. Only after a whole interval without commits: during a burst that commit would hold the
// write lock through its sync while the service waits to write, and SQLite's busy handler waits
// in steps of 1, 2, 5, 10… ms (one bench round showed a 104 ms event). Its own commit does not
// change its data_version, so once everything is copied it checkpoints again only after the
// service has committed; otherwise it would copy its own frame and start over each interval.
// Should that commit fail (busy), the service's next commit starts the WAL over as before.
const threadSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
let database;
let timer;
let seenVersion;
let copiedVersion;
let restartDue = false;
try {
  database = new Database(workerData.filePath, { fileMustExist: true });
  database.pragma('busy_timeout = 5000');
} catch (error) {
  parentPort.postMessage({ kind: 'failed', message: String(error && error.message || error) });
  process.exit(1);
}
const checkpoint = () => {
  try {
    const version = database.pragma('data_version', { simple: true });
    const quiet = version === seenVersion;
    seenVersion = version;
    if (version !== copiedVersion) {
      const [row] = database.pragma('wal_checkpoint(PASSIVE)');
      if (row.checkpointed > 0) parentPort.postMessage({ kind: 'checkpoint', walFrames: row.log, checkpointedFrames: row.checkpointed });
      if (row.checkpointed !== row.log) return;
      copiedVersion = version;
      restartDue = row.log > 0;
    }
    if (!quiet || !restartDue) return;
    restartDue = false;
    if (restartLog()) parentPort.postMessage({ kind: 'restarted' });
  } catch (error) {
    parentPort.postMessage({ kind: 'failed', message: String(error && error.message || error) });
    clearInterval(timer);
    database.close();
    process.exit(1);
  }
};
function restartLog() {
  try {
    database.pragma('user_version = ' + database.pragma('user_version', { simple: true }));
    return true;
  } catch {
    return false;
  }
}
timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  database.close();
  process.exit(0);
});
`;

/**
 * Moves the WAL checkpoint off the event loop. SQLite's automatic checkpoint runs inside whichever
 * commit pushes the WAL past 1,000 pages: it copies about 4 MB into the database file and syncs
 * both files, 10–25 ms measured here, on the thread that streams every reply. This turns it off on
 * the main connection and has a thread of its own, with its own connection, run PASSIVE
 * checkpoints, which never wait for and never block readers or writers. If the thread fails,
 * the automatic checkpoint comes back, so the WAL never grows without bound.
 */
export function startWalCheckpointer(database: Database, filePath: string, options: WalCheckpointerOptions): WalCheckpointer {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  database.pragma('wal_autocheckpoint = 0');
  const worker = new Worker(threadSource, {
    eval: true,
    workerData: { driverPath, filePath: path.resolve(filePath), intervalMs: options.intervalMs ?? defaultIntervalMs },
  });
  let stopping = false;
  let failed = false;
  const fail = (error: Error): void => {
    if (failed || stopping) return;
    failed = true;
    if (database.open) database.pragma(`wal_autocheckpoint = ${sqliteAutoCheckpointPages}`);
    options.onFailure(error);
  };
  worker.on('message', (message: ThreadMessage) => {
    if (message.kind === 'failed') fail(new Error(`WAL checkpoint thread: ${message.message}`));
    else if (message.kind === 'restarted') options.onRestart?.();
    else options.onCheckpoint?.({ walFrames: message.walFrames, checkpointedFrames: message.checkpointedFrames });
  });
  worker.on('error', fail);
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      if (code !== 0) fail(new Error(`WAL checkpoint thread exited with code ${code}`));
      resolve();
    });
  });
  // The thread must not keep a process alive that is otherwise done.
  worker.unref();
  return {
    async stop() {
      stopping = true;
      // Referenced again: otherwise a process with nothing else left would end while this waits,
      // skipping whatever its shutdown does after closing the store.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
