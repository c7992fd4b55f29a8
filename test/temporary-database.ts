import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temp folder for one test's SQLite database; `remove` deletes it. */
export function temporaryDatabase(): { databasePath: string; remove(): void } {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'groqbot-'));
  return { databasePath: path.join(directory, 'bot.db'), remove: () => rmSync(directory, { recursive: true, force: true }) };
}
