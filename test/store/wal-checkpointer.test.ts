import { statSync } from 'node:fs';
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
    checkpointer = startWalCheckpointer(database, folder.databasePath, {
      intervalMs: 20,
      onFailure: (error) => failures.push(error),
      onCheckpoint: (result) => checkpoints.push(result),
    });
    expect(autoCheckpointPages()).toBe(0);
    const sizeBefore = statSync(folder.databasePath).size;
    // Past SQLite's 1,000-page threshold: with the automatic checkpoint on, a commit would copy them.
    writeBlobs(100);
    await eventually(() => checkpoints.some((result) => result.walFrames >= 1_600 && result.checkpointedFrames === result.walFrames), 10_000, 'a checkpoint of every frame');
    // The frames reached the database file itself, and no commit on this connection did it.
    expect(statSync(folder.databasePath).size - sizeBefore).toBeGreaterThanOrEqual(100 * 64 * 1024);
    expect(autoCheckpointPages()).toBe(0);
    expect(failures).toEqual([]);
    // Later commits restart the WAL from its start instead of growing it.
    const walSize = statSync(`${folder.databasePath}-wal`).size;
    writeBlobs(20);
    expect(statSync(`${folder.databasePath}-wal`).size).toBe(walSize);
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
