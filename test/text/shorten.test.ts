import { describe, expect, it } from 'vitest';
import { shorten } from '../../src/text/shorten.js';

describe('shorten', () => {
  it('leaves short text alone and cuts long text to the limit with an ellipsis', () => {
    expect(shorten('short', 10)).toBe('short');
    expect(shorten('a long sentence here', 10)).toBe('a long se…');
    expect(shorten('a long sentence here', 10).length).toBeLessThanOrEqual(10);
  });

  it('never leaves half a surrogate pair', () => {
    const text = `abcd${'😀'.repeat(5)}`;
    for (let limit = 2; limit < text.length; limit += 1) {
      const cut = shorten(text, limit);
      expect(cut.length).toBeLessThanOrEqual(limit);
      expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
  });
});
