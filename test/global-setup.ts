import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestSourceTime(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceTime(full));
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.sql')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Drills start the real service process (`npm start`'s entry), which runs compiled code: build it when stale. */
export default function setup(): void {
  const entry = path.join(root, 'dist', 'src', 'main.js');
  const sources = Math.max(...['src', 'adapters', 'test/fakes'].map((folder) => newestSourceTime(path.join(root, folder))));
  if (existsSync(entry) && statSync(entry).mtimeMs >= sources) return;
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: 'pipe',
    });
  } catch {
    // tsc still emits on type errors; `npm test` type-checks first, so a broken build fails there, not here.
  }
}
