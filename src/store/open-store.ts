import { openDatabase } from './database.js';
import { ConversationRepository, type ConversationRepositoryOptions } from './conversation-repository.js';
import { runMigrations } from './migrations.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

/** Options of `openStore`. */
export interface OpenStoreOptions extends Omit<ConversationRepositoryOptions, 'checkpointer'> {
  /** Where the numbered .sql files are; the repository's `migrations/` by default. */
  migrationsDir?: string;
  /**
   * Checkpoint the WAL on a thread of its own instead of inside commits on the event loop (the
   * service); called should that thread fail, after SQLite's automatic checkpoint is back on.
   */
  onCheckpointThreadFailure?: (error: Error) => void;
  /** Hears the SQL of every statement run (tests see which queries a read used). */
  onStatement?: (sql: string) => void;
}

/** Opens the database at `filePath` (creating its folder), applies pending migrations, and returns the repository. */
export function openStore(filePath: string, options: OpenStoreOptions): ConversationRepository {
  const db = openDatabase(filePath, { onStatement: options.onStatement });
  try {
    runMigrations(db, options.migrationsDir);
  } catch (error) {
    db.close();
    throw error;
  }
  const onFailure = options.onCheckpointThreadFailure;
  const checkpointer = onFailure && filePath !== ':memory:' ? startWalCheckpointer(db, filePath, { onFailure }) : undefined;
  return new ConversationRepository(db, { tokenCounter: options.tokenCounter, now: options.now, checkpointer });
}
