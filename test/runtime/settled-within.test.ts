import { describe, expect, it } from 'vitest';
import { settledWithin } from '../../src/settled-within.js';

describe('settledWithin', () => {
  it('is true once the promise resolves in time, false when the time runs out first', async () => {
    expect(await settledWithin(new Promise((resolve) => setTimeout(resolve, 5)), 1_000)).toBe(true);
    expect(await settledWithin(new Promise(() => {}), 30)).toBe(false);
  });

  it('passes a rejection within the time through', async () => {
    await expect(settledWithin(Promise.reject(new Error('closing failed')), 1_000)).rejects.toThrow('closing failed');
  });
});
