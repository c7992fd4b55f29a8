import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configVariables } from '../../src/config.js';

describe('.env.example', () => {
  it('lists every setting the service reads, each with a comment', () => {
    const lines = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').split('\n');
    const listed = lines.filter((line) => /^[A-Z0-9_]+=/.test(line)).map((line) => line.split('=')[0]);
    expect([...listed].sort()).toEqual([...configVariables].sort());
    for (const variable of listed) {
      const index = lines.findIndex((line) => line.startsWith(`${variable}=`));
      const above = lines.slice(0, index).reverse().find((line) => !/^[A-Z0-9_]+=/.test(line));
      expect(above?.startsWith('#'), `${variable} has a comment`).toBe(true);
    }
  });
});
