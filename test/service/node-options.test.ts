import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startScriptNodeArguments } from '../drills/service-process.js';

// Grows the young generation, stays quiet past V8's 5 s allocation-throughput window, then runs the
// full GC that V8's memory reducer runs in a quiet spell; prints the young generation's size (MiB).
const probe = `
const v8 = require('node:v8');
const young = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size / 1048576;
let kept = [];
for (let index = 0; index < 3e6; index += 1) { kept.push({ index }); if (kept.length > 100000) kept = []; }
kept = [];
const grown = young();
setTimeout(() => { gc(); console.log(JSON.stringify({ grown, afterQuiet: young() })); }, 6000);
`;

// Counts the process's threads once start-up is done: the main thread, V8's background pool and node's own.
const threadProbe = `setTimeout(() => console.log(require('node:fs').readdirSync('/proc/self/task').length), 100);`;

async function threadCount(options: string[]): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [...options, '-e', threadProbe]);
  return Number(stdout.trim());
}

describe("npm start's node options", () => {
  it('keep the young generation at its full size through a quiet spell (a burst after one need not regrow it)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [...startScriptNodeArguments(), '--expose-gc', '-e', probe]);
    const { grown, afterQuiet } = JSON.parse(stdout) as { grown: number; afterQuiet: number };
    expect(grown).toBeGreaterThanOrEqual(16);
    // Without the option V8 shrinks it to 1–2 MiB here.
    expect(afterQuiet).toBeGreaterThanOrEqual(16);
  }, 20_000);

  // Linux lists a process's threads in /proc; the option works the same elsewhere.
  it.runIf(process.platform === 'linux')('give V8 one background thread instead of four (fewer threads to preempt the event loop)', async () => {
    const withDefaults = await threadCount([]);
    const withStartOptions = await threadCount(startScriptNodeArguments());
    expect(withDefaults - withStartOptions).toBe(3);
  });
});
