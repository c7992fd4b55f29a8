import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeSlackIds, startFakeSlack, type FakeSlack } from '../fakes/fake-slack.js';

/** Calls the fake the way @slack/web-api does: form-encoded, nested values as JSON. */
async function call(slack: FakeSlack, method: string, fields: Record<string, unknown>) {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) form.set(key, typeof value === 'string' ? value : JSON.stringify(value));
  const response = await fetch(`${slack.apiUrl}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fakeSlackIds.botToken}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
}

describe('fake Slack', () => {
  let slack: FakeSlack;
  beforeAll(async () => {
    // A slow refill, so the outcome does not depend on how fast this machine sends 25 calls.
    slack = await startFakeSlack({ updateBudget: { burst: 20, perMinute: 6 } });
  });
  afterAll(async () => {
    await slack?.close();
  });

  it('refuses chat.update beyond the workspace burst with 429 and Retry-After', async () => {
    const posted = await call(slack, 'chat.postMessage', { channel: 'C1', text: 'hi', blocks: [{ type: 'markdown', text: 'hi' }] });
    expect(posted.body).toMatchObject({ ok: true, channel: 'C1' });
    const results = await Promise.all(Array.from({ length: 25 }, (_, index) => call(slack, 'chat.update', { channel: 'C1', ts: posted.body.ts, text: `v${index}` })));
    const limited = results.filter((result) => result.status === 429);
    expect(results.filter((result) => result.status === 200)).toHaveLength(20);
    expect(limited).toHaveLength(5);
    expect(limited[0]).toMatchObject({ body: { ok: false, error: 'ratelimited' } });
    expect(Number(limited[0]!.retryAfter)).toBeGreaterThanOrEqual(7);
    expect(slack.rateLimitedCount).toBe(5);
    expect(slack.messages.get(`C1:${String(posted.body.ts)}`)?.history).toHaveLength(21);
  });

  it('answers msg_too_long above the text limit, and gives fresh ts per post', async () => {
    expect((await call(slack, 'chat.postMessage', { channel: 'C2', text: 'x'.repeat(4_001) })).body).toEqual({ ok: false, error: 'msg_too_long' });
    const [a, b] = await Promise.all([call(slack, 'chat.postMessage', { channel: 'C2', text: 'a' }), call(slack, 'chat.postMessage', { channel: 'C2', text: 'b' })]);
    expect(a.body.ts).not.toBe(b.body.ts);
  });
});
