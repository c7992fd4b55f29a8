import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/** An open better-sqlite3 connection. */
export type Database = BetterSqlite3.Database;

/** How long a writer waits for another connection's lock before SQLITE_BUSY. */
const busyTimeoutMs = 5_000;

/**
 * Opens (creating its folder) the SQLite file at `filePath` with the pragmas the store relies on:
 * WAL (readers never block the writer), foreign keys (cascading deletes), a busy timeout, and
 * synchronous NORMAL, which in WAL mode loses no committed transaction when the process is killed,
 * only possibly the last ones on a power cut.
 */
export function openDatabase(filePath: string, options: { onStatement?: (sql: string) => void } = {}): Database {
  if (filePath !== ':memory:') mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
  const { onStatement } = options;
  const database = new BetterSqlite3(filePath, onStatement ? { verbose: (sql) => onStatement(String(sql)) } : {});
  try {
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    database.pragma(`busy_timeout = ${busyTimeoutMs}`);
    database.pragma('synchronous = NORMAL');
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}
