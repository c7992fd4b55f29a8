import { openDatabase } from './database.js';
import { ConversationRepository, type ConversationRepositoryOptions } from './conversation-repository.js';
import { runMigrations } from './migrations.js';

/** Options of `openStore`. */
export interface OpenStoreOptions extends ConversationRepositoryOptions {
  /** Where the numbered .sql files are; the repository's `migrations/` by default. */
  migrationsDir?: string;
}

/** Opens the database at `filePath` (creating its folder), applies pending migrations, and returns the repository. */
export function openStore(filePath: string, options: OpenStoreOptions): ConversationRepository {
  const db = openDatabase(filePath);
  try {
    runMigrations(db, options.migrationsDir);
  } catch (error) {
    db.close();
    throw error;
  }
  return new ConversationRepository(db, { tokenCounter: options.tokenCounter, now: options.now });
}
