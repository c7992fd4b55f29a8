import { readFileSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.js';
import { startWalCheckpointer, type CheckpointResult, type WalCheckpointer } from '../../src/store/wal-checkpointer.js';
import { eventually } from '../eventually.js';
import { temporaryDatabase } from '../temporary-database.js';

let folder: ReturnType<typeof temporaryDatabase>;
let database: Database;
let checkpointer: WalCheckpointer | undefined;

beforeEach(() => {
  folder = temporaryDatabase();
  database = openDatabase(folder.databasePath);
  database.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
});

afterEach(async () => {
  await checkpointer?.stop();
  checkpointer = undefined;
  if (database.open) database.close();
  folder.remove();
});

/** Commits `count` transactions of 64 KiB each: about 16 pages apiece, 1,600 pages for 100. */
function writeBlobs(count: number): void {
  const insert = database.prepare('INSERT INTO blobs (data) VALUES (?)');
  for (let index = 0; index < count; index += 1) insert.run(Buffer.alloc(64 * 1024, index % 251));
}

const autoCheckpointPages = (): unknown => database.pragma('wal_autocheckpoint', { simple: true });

describe('WAL checkpoints on a thread of their own', () => {
  it('turns the checkpoint inside commits off and copies the WAL into the database file from its thread', async () => {
    const checkpoints: CheckpointResult[] = [];
    const failures: Error[] = [];
    let restarts = 0;
    checkpointer = startWalCheckpointer(database, folder.databasePath, {
      intervalMs: 20,
      onFailure: (error) => failures.push(error),
      onCheckpoint: (result) => checkpoints.push(result),
      onRestart: () => (restarts += 1),
    });
    expect(autoCheckpointPages()).toBe(0);
    const sizeBefore = statSync(folder.databasePath).size;
    // Past SQLite's 1,000-page threshold: with the automatic checkpoint on, a commit would copy them.
    writeBlobs(100);
    const everyFrame = (result: CheckpointResult): boolean => result.walFrames >= 1_600 && result.checkpointedFrames === result.walFrames;
    await eventually(() => checkpoints.some(everyFrame), 10_000, 'a checkpoint of every frame');
    // The frames reach the database file itself, and no commit on this connection copies them. The
    // thread runs alongside the writes, so the checkpoint above may predate the last commits: wait
    // for the file to hold all of them.
    const grown = (): boolean => statSync(folder.databasePath).size - sizeBefore >= 100 * 64 * 1024;
    await eventually(grown, 10_000, 'the database file to hold every blob');
    expect(grown()).toBe(true);
    expect(autoCheckpointPages()).toBe(0);
    expect(failures).toEqual([]);
    // Later commits do not grow the WAL: having copied every frame, the thread started it over.
    await eventually(() => restarts > 0, 10_000, 'the WAL to start over');
    const walSize = statSync(`${folder.databasePath}-wal`).size;
    writeBlobs(20);
    expect(statSync(`${folder.databasePath}-wal`).size).toBe(walSize);
  });

  it('starts the WAL over on its own thread once every frame is copied, so the next commit does not (nor sync its header)', async () => {
    let restarts = 0;
    checkpointer = startWalCheckpointer(database, folder.databasePath, { intervalMs: 20, onFailure: () => {}, onRestart: () => (restarts += 1) });
    writeBlobs(5);
    await eventually(() => restarts === 1, 10_000, 'the thread to start the WAL over');
    // A WAL that starts over gets a new checkpoint sequence number and salts (header bytes 12–23).
    const header = (): string => readFileSync(`${folder.databasePath}-wal`).subarray(12, 24).toString('hex');
    const restartedHeader = header();
    writeBlobs(1);
    expect(header()).toBe(restartedHeader);
    // Once that commit is copied too, the thread starts over again.
    await eventually(() => restarts === 2, 10_000, 'the next start over');
    expect(header()).not.toBe(restartedHeader);
    // Its own frame is no change to copy: left alone, it does not start over each interval.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(restarts).toBe(2);
  });

  it('gives the checkpoint back to SQLite when its thread cannot work', async () => {
    const failures: Error[] = [];
    // A file the thread cannot open (it never creates one): its connection fails at once.
    checkpointer = startWalCheckpointer(database, `${folder.databasePath}.missing`, { intervalMs: 20, onFailure: (error) => failures.push(error) });
    await eventually(() => failures.length === 1, 10_000, 'the failure');
    expect(failures[0]?.message).toMatch(/WAL checkpoint thread/);
    expect(autoCheckpointPages()).toBe(1000);
  });

  it('stops: the thread closes its connection and exits, and checkpoints no more', async () => {
    const checkpoints: CheckpointResult[] = [];
    checkpointer = startWalCheckpointer(database, folder.databasePath, { intervalMs: 20, onFailure: () => {}, onCheckpoint: (result) => checkpoints.push(result) });
    await checkpointer.stop();
    checkpointer = undefined;
    writeBlobs(10);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(checkpoints).toEqual([]);
  });
});
