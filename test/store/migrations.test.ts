import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroqbotError } from '../../src/errors.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { defaultMigrationsDir, migrationChecksum, runMigrations } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/open-store.js';
import { TokenCounter } from '../../src/tokens/token-counter.js';

let folder: string;
let migrationsDir: string;
let db: Database;

beforeEach(() => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'groqbot-'));
  migrationsDir = path.join(folder, 'migrations');
  cpSync(defaultMigrationsDir(), migrationsDir, { recursive: true });
  db = openDatabase(path.join(folder, 'nested', 'dir', 'test.db'));
});

afterEach(() => {
  if (db.open) db.close();
  rmSync(folder, { recursive: true, force: true });
});

function caught(action: () => unknown): GroqbotError {
  try {
    action();
  } catch (error) {
    if (error instanceof GroqbotError) return error;
    throw error;
  }
  throw new Error('expected a GroqbotError');
}

describe('openDatabase', () => {
  it('creates the folder and sets WAL, foreign keys and a busy timeout', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
  });
});

describe('runMigrations', () => {
  it('finds the repository migrations folder from the module location', () => {
    expect(readFileSync(path.join(defaultMigrationsDir(), '0001_init.sql'), 'utf8')).toContain('CREATE TABLE conversations');
  });

  it('applies every migration once and records version, name and checksum', () => {
    const first = runMigrations(db, migrationsDir);
    expect(first.applied).toEqual(['0001_init.sql']);
    const rows = db.prepare('SELECT version, name, checksum, applied_at FROM schema_migrations').all() as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      version: 1,
      name: '0001_init.sql',
      checksum: migrationChecksum(readFileSync(path.join(migrationsDir, '0001_init.sql'), 'utf8')),
    });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['conversations', 'messages', 'posted_parts', 'channel_settings', 'processed_events']));
  });

  it('is a no-op when run again, also after reopening the file', () => {
    runMigrations(db, migrationsDir);
    expect(runMigrations(db, migrationsDir).applied).toEqual([]);
    const file = db.name;
    db.close();
    db = openDatabase(file);
    expect(runMigrations(db, migrationsDir)).toEqual({ applied: [], currentVersion: 1 });
    expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(1);
  });

  it('applies a new migration in order on an existing database', () => {
    runMigrations(db, migrationsDir);
    writeFileSync(path.join(migrationsDir, '0002_add_note.sql'), 'ALTER TABLE conversations ADD COLUMN note TEXT;\n');
    expect(runMigrations(db, migrationsDir)).toEqual({ applied: ['0002_add_note.sql'], currentVersion: 2 });
    expect(db.prepare("SELECT count(*) FROM pragma_table_info('conversations') WHERE name = 'note'").pluck().get()).toBe(1);
  });

  it('rolls back a failing migration entirely and records nothing for it', () => {
    runMigrations(db, migrationsDir);
    writeFileSync(path.join(migrationsDir, '0002_broken.sql'), 'CREATE TABLE half_done (id INTEGER);\nTHIS IS NOT SQL;\n');
    const error = caught(() => runMigrations(db, migrationsDir));
    expect(error.code).toBe('migration_failed');
    expect(error.message).toContain('0002_broken.sql');
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(1);
  });

  it('refuses a database that records a migration the code does not have, naming it', () => {
    writeFileSync(path.join(migrationsDir, '0002_future.sql'), 'CREATE TABLE future (id INTEGER);\n');
    runMigrations(db, migrationsDir);
    rmSync(path.join(migrationsDir, '0002_future.sql'));
    const error = caught(() => runMigrations(db, migrationsDir));
    expect(error.code).toBe('migration_mismatch');
    expect(error.message).toContain('0002_future.sql');
  });

  it('refuses a migration whose file was edited after it was applied, naming the file', () => {
    runMigrations(db, migrationsDir);
    const file = path.join(migrationsDir, '0001_init.sql');
    writeFileSync(file, readFileSync(file, 'utf8') + '\nCREATE TABLE sneaky (id INTEGER);\n');
    const error = caught(() => runMigrations(db, migrationsDir));
    expect(error.code).toBe('migration_mismatch');
    expect(error.message).toContain('0001_init.sql');
    expect(error.retryable).toBe(false);
  });

  it('openStore refuses to start on a mismatching database and closes it', () => {
    const databasePath = path.join(folder, 'store.db');
    const tokenCounter = new TokenCounter();
    openStore(databasePath, { tokenCounter, migrationsDir }).close();
    writeFileSync(path.join(migrationsDir, '0001_init.sql'), '-- edited\n' + readFileSync(path.join(migrationsDir, '0001_init.sql'), 'utf8'));
    expect(() => openStore(databasePath, { tokenCounter, migrationsDir })).toThrow(/0001_init\.sql/);
  });
});
