import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GroqbotError } from '../errors.js';
import type { Database } from './database.js';

/** A migration file found on disk. */
interface MigrationFile {
  version: number;
  /** The file name, e.g. `0001_init.sql`. */
  name: string;
  sql: string;
  /** sha256 of the file with line endings normalised, hex. */
  checksum: string;
}

/** What `runMigrations` did. */
export interface MigrationReport {
  /** File names applied now, in order. */
  applied: string[];
  /** The highest version the database records afterwards (0 for none). */
  currentVersion: number;
}

const migrationFileName = /^(\d+)_[A-Za-z0-9_-]+\.sql$/;

/**
 * The repository's `migrations/` folder, found by walking up from this module: it sits at
 * src/store/ under vitest and at dist/src/store/ when compiled, next to the package.json.
 */
export function defaultMigrationsDir(): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(directory, 'migrations');
    if (existsSync(path.join(directory, 'package.json')) && existsSync(candidate)) return candidate;
    const parent = path.dirname(directory);
    if (parent === directory) {
      throw new GroqbotError('cannot find the migrations folder above ' + fileURLToPath(import.meta.url), {
        code: 'migrations_missing',
      });
    }
    directory = parent;
  }
}

/** sha256 of a migration's text; CRLF is normalised so a checkout on Windows keeps the same checksum. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Reads the numbered `.sql` files of `migrationsDir`, in version order; two files with one version are refused. */
function readMigrationFiles(migrationsDir: string): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const name of readdirSync(migrationsDir)) {
    const match = migrationFileName.exec(name);
    if (!match) continue;
    const sql = readFileSync(path.join(migrationsDir, name), 'utf8');
    files.push({ version: Number(match[1]), name, sql, checksum: migrationChecksum(sql) });
  }
  files.sort((a, b) => a.version - b.version);
  for (let index = 1; index < files.length; index += 1) {
    if (files[index]!.version === files[index - 1]!.version) {
      throw mismatch(`migrations ${files[index - 1]!.name} and ${files[index]!.name} share version ${files[index]!.version}`);
    }
  }
  return files;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Applies the pending migrations of `migrationsDir` in order, each in its own transaction, and
 * records them in `schema_migrations`. Re-running is a no-op. Refuses (code `migration_mismatch`,
 * naming the file) a database that records a migration the code does not have, whose checksum
 * differs from the file, or that has a later migration applied than a pending one.
 * A migration file must not contain its own BEGIN/COMMIT.
 */
export function runMigrations(db: Database, migrationsDir: string = defaultMigrationsDir()): MigrationReport {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const files = readMigrationFiles(migrationsDir);
  const byVersion = new Map(files.map((file) => [file.version, file]));
  const selectApplied = db.prepare<[], AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  const selectOne = db.prepare<[number], AppliedRow>('SELECT version, name, checksum FROM schema_migrations WHERE version = ?');
  const insert = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');

  const applied = selectApplied.all();
  for (const row of applied) verify(row, byVersion.get(row.version));
  const highestApplied = applied.length > 0 ? applied[applied.length - 1]!.version : 0;
  const appliedVersions = new Set(applied.map((row) => row.version));

  const report: MigrationReport = { applied: [], currentVersion: highestApplied };
  for (const file of files) {
    if (appliedVersions.has(file.version)) continue;
    if (file.version < highestApplied) {
      throw mismatch(`migration ${file.name} is not applied but a later one (version ${highestApplied}) is; refusing to apply it out of order`);
    }
    // IMMEDIATE takes the write lock first, so a second process starting at the same time waits and then sees the row.
    const apply = db.transaction(() => {
      const already = selectOne.get(file.version);
      if (already) {
        verify(already, file);
        return false;
      }
      db.exec(file.sql);
      insert.run(file.version, file.name, file.checksum, Date.now());
      return true;
    });
    try {
      if (apply.immediate()) report.applied.push(file.name);
    } catch (error) {
      if (error instanceof GroqbotError) throw error;
      throw new GroqbotError(`migration ${file.name} failed: ${error instanceof Error ? error.message : String(error)}`, {
        code: 'migration_failed',
        cause: error,
      });
    }
    report.currentVersion = file.version;
  }
  return report;
}

function verify(row: AppliedRow, file: MigrationFile | undefined): void {
  if (!file) {
    throw mismatch(
      `the database records migration ${row.name} (version ${row.version}), which this code does not have; refusing to start (is this an older build?)`,
    );
  }
  if (row.checksum !== file.checksum) {
    throw mismatch(
      `migration ${file.name} differs from the one applied to this database (as ${row.name}): checksum ${file.checksum} ≠ recorded ${row.checksum}; shipped migrations must never be edited`,
    );
  }
}

function mismatch(message: string): GroqbotError {
  return new GroqbotError(message, { code: 'migration_mismatch', retryable: false });
}
