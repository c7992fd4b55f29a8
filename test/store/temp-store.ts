import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConversationRepository } from '../../src/store/conversation-repository.js';
import { openStore } from '../../src/store/open-store.js';
import { TokenCounter } from '../../src/tokens/token-counter.js';

/** A real SQLite file in a fresh temp folder, with a settable clock. */
export interface TempStore {
  folder: string;
  databasePath: string;
  repository: ConversationRepository;
  clock: { now: number };
  tokenCounter: TokenCounter;
  /** Closes the current repository and opens the same file again. */
  reopen(): ConversationRepository;
  dispose(): void;
}

/** Opens a migrated store in a temp folder (sub folder `data/` is created by openStore). */
export function createTempStore(options: { onStatement?: (sql: string) => void } = {}): TempStore {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'groqbot-'));
  const databasePath = path.join(folder, 'data', 'groqbot.db');
  const clock = { now: 1_700_000_000_000 };
  const tokenCounter = new TokenCounter();
  const open = () => openStore(databasePath, { tokenCounter, now: () => clock.now, onStatement: options.onStatement });
  const store: TempStore = {
    folder,
    databasePath,
    repository: open(),
    clock,
    tokenCounter,
    reopen() {
      store.repository.close();
      store.repository = open();
      return store.repository;
    },
    dispose() {
      store.repository.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
  return store;
}
