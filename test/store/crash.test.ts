import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMigrationsDir } from '../../src/store/migrations.js';
import { openStore } from '../../src/store/open-store.js';
import { TokenCounter } from '../../src/tokens/token-counter.js';
import { compileStoreForChild } from './compile-store.js';

const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-child.mjs');

let folder: string;
let compiledSource: string;
let databasePath: string;

beforeAll(() => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'groqbot-'));
  compiledSource = compileStoreForChild(path.join(folder, 'build'));
  databasePath = path.join(folder, 'data', 'crash.db');
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Runs the child until it has committed `minimumLines` calls plus a random few more, then SIGKILLs it. Returns the lines it printed. */
async function runAndKill(run: number, minimumLines: number): Promise<string[]> {
  const child = spawn(process.execPath, [childScript, compiledSource, databasePath, defaultMigrationsDir(), String(run)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  const killAfter = minimumLines + Math.floor(Math.random() * 40);
  const exited = new Promise<NodeJS.Signals | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => (signal === null ? reject(new Error(`child exited with ${code}: ${stderr}`)) : resolve(signal)));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const complete = buffered.split('\n');
    buffered = complete.pop() ?? '';
    lines.push(...complete);
    // Killed from the data callback while the child keeps writing: it dies mid-transaction at an arbitrary point.
    if (lines.length >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
  });
  expect(await exited).toBe('SIGKILL');
  return lines;
}

describe('a process killed with SIGKILL in the middle of a burst', () => {
  it('leaves a consistent database: every user message with its event id, every reply with its conversation', { timeout: 60_000 }, async () => {
    const committedUsers = new Set<string>();
    for (let run = 0; run < 3; run += 1) {
      const lines = await runAndKill(run, 150);
      expect(lines[0]).toBe('ready');
      for (const line of lines) if (line.startsWith('user ')) committedUsers.add(line.slice(5));
    }

    // Reopening with the real store applies no migration and accepts the recorded checksums.
    const repository = openStore(databasePath, { tokenCounter: new TokenCounter() });
    const recovered = repository.recoverInterruptedReplies();
    repository.close();

    const db = new Database(databasePath, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      const scalar = (sql: string) => db.prepare(sql).pluck().get() as number;

      // Atomic append: a user message never without its event id, an event id never without its message.
      expect(scalar(`SELECT count(*) FROM messages m WHERE role = 'user' AND NOT EXISTS
        (SELECT 1 FROM processed_events e WHERE e.platform = m.platform AND e.event_id = 'ev-' || m.platform_message_id)`)).toBe(0);
      expect(scalar(`SELECT count(*) FROM processed_events e WHERE NOT EXISTS
        (SELECT 1 FROM messages m WHERE m.role = 'user' AND m.platform = e.platform AND 'ev-' || m.platform_message_id = e.event_id)`)).toBe(0);
      // No reply (or posted part) without its conversation (or message).
      expect(scalar(`SELECT count(*) FROM messages m LEFT JOIN conversations c ON c.id = m.conversation_id WHERE c.id IS NULL`)).toBe(0);
      expect(scalar(`SELECT count(*) FROM posted_parts p LEFT JOIN messages m ON m.id = p.message_id WHERE m.id IS NULL`)).toBe(0);
      // The prompt-turn counters kept by triggers agree with the messages.
      expect(scalar(`SELECT count(*) FROM conversations c WHERE prompt_turns <> (SELECT count(*) FROM messages m
        WHERE m.conversation_id = c.id AND m.in_prompt = 1 AND m.status IN ('complete', 'interrupted'))`)).toBe(0);
      // At most one active conversation per key, and nothing left streaming after recovery.
      expect(scalar(`SELECT count(*) FROM (SELECT 1 FROM conversations WHERE active = 1
        GROUP BY platform, workspace_id, channel_id, thread_key HAVING count(*) > 1)`)).toBe(0);
      expect(scalar(`SELECT count(*) FROM messages WHERE status = 'streaming'`)).toBe(0);

      // Durability: every append the child reported as committed is on disk.
      const stored = new Set(db.prepare(`SELECT platform_message_id FROM messages WHERE role = 'user'`).pluck().all() as string[]);
      for (const id of committedUsers) expect(stored.has(id), `user message ${id}`).toBe(true);
      expect(stored.size).toBeGreaterThanOrEqual(committedUsers.size);

      // Replies cut off mid-stream were found at start-up (a kill between two calls may leave none; at most one per run).
      expect(recovered.length).toBeLessThanOrEqual(3);
      for (const reply of recovered) {
        const row = db.prepare('SELECT status, content FROM messages WHERE id = ?').get(reply.messageId) as { status: string; content: string };
        expect(row).toEqual({ status: 'interrupted', content: reply.content });
        for (const part of reply.parts) expect(part.ref.messageId).toMatch(/-p[01]$/);
      }
    } finally {
      db.close();
    }
  });
});
