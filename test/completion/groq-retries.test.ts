import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGroq, type FakeGroq } from '../fakes/fake-groq.js';
import { clientFor, collect, simpleRequest, textOf } from './helpers.js';

let fake: FakeGroq;

beforeAll(async () => {
  fake = await startFakeGroq();
});

afterAll(async () => {
  await fake.close();
});

const serverError = { error: { message: 'Service Unavailable', type: 'internal_server_error' } };

describe('retries before the body starts', () => {
  it('retries a 503 then streams, honouring retry-after (seconds)', async () => {
    const { client, delays } = clientFor(fake);
    const before = fake.requests.length;
    fake.enqueue(
      { kind: 'http-error', status: 503, body: serverError, headers: { 'retry-after': '2' } },
      { kind: 'text', text: 'recovered fine' },
    );
    const { parts, error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error).toBeUndefined();
    expect(textOf(parts, 'text-delta')).toBe('recovered fine');
    expect(delays).toEqual([2000]);
    expect(fake.requests.length - before).toBe(2);
  });

  it('prefers retry-after-ms, then an HTTP-date retry-after', async () => {
    const { client, delays } = clientFor(fake);
    const inThreeSeconds = new Date(Date.now() + 3000).toUTCString();
    fake.enqueue(
      { kind: 'http-error', status: 429, body: { error: { message: 'slow down', type: 'requests' } }, headers: { 'retry-after-ms': '150', 'retry-after': '9' } },
      { kind: 'http-error', status: 500, body: serverError, headers: { 'retry-after': inThreeSeconds } },
      { kind: 'text', text: 'third time lucky' },
    );
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error).toBeUndefined();
    expect(delays[0]).toBe(150);
    // An HTTP date has one-second resolution and the clock moved on: somewhere in (1 s, 3 s].
    expect(delays[1]).toBeGreaterThan(1000);
    expect(delays[1]).toBeLessThanOrEqual(3000);
  });

  it('backs off exponentially with jitter when the server names no wait', async () => {
    const { client, delays } = clientFor(fake, { maxRetries: 3, random: () => 1 });
    fake.enqueue(
      { kind: 'http-error', status: 502, body: serverError },
      { kind: 'http-error', status: 502, body: serverError },
      { kind: 'http-error', status: 502, body: serverError },
      { kind: 'text', text: 'ok' },
    );
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error).toBeUndefined();
    // min(0.5·2^n, 8) s × (1 − 0.25·1)
    expect(delays).toEqual([375, 750, 1500]);
  });

  it('gives up after GROQ_MAX_RETRIES retries with the last error', async () => {
    const { client, delays } = clientFor(fake, { maxRetries: 2 });
    const before = fake.requests.length;
    fake.enqueue(
      { kind: 'fixture', name: 'server-503' },
      { kind: 'fixture', name: 'server-503' },
      { kind: 'fixture', name: 'server-503' },
    );
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error?.code).toBe('server_error');
    expect(delays).toHaveLength(2);
    expect(fake.requests.length - before).toBe(3);
  });

  it('x-should-retry overrides the status both ways', async () => {
    const { client, delays } = clientFor(fake, { maxRetries: 1 });
    fake.enqueue(
      { kind: 'http-error', status: 400, body: { error: { message: 'odd', type: 'invalid_request_error' } }, headers: { 'x-should-retry': 'true' } },
      { kind: 'text', text: 'after override' },
      { kind: 'http-error', status: 503, body: serverError, headers: { 'x-should-retry': 'false' } },
    );
    expect((await collect(client.stream(simpleRequest()))).error).toBeUndefined();
    const second = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(second.error?.code).toBe('server_error');
    expect(second.error?.retryable).toBe(false);
    expect(delays).toHaveLength(1);
  });

  it.each([
    ['request-too-large-413'],
    ['capacity-exceeded-498'],
    ['context-length-400'],
  ])('does not retry %s', async (fixture) => {
    const { client, delays } = clientFor(fake);
    const before = fake.requests.length;
    fake.enqueue({ kind: 'fixture', name: fixture });
    await collect(client.stream(simpleRequest()));
    await client.close();
    expect(delays).toEqual([]);
    expect(fake.requests.length - before).toBe(1);
  });

  it('does not retry a 422', async () => {
    const { client, delays } = clientFor(fake);
    fake.enqueue({ kind: 'http-error', status: 422, body: { error: { message: 'semantic', type: 'invalid_request_error' } } });
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error?.code).toBe('invalid_request');
    expect(delays).toEqual([]);
  });

  it('a 429 asking for longer than GROQ_MAX_RETRY_WAIT_MS fails at once with the wait', async () => {
    const { client, delays } = clientFor(fake, { maxRetryWaitMs: 5000 });
    const before = fake.requests.length;
    fake.enqueue({ kind: 'fixture', name: 'rate-limit-429' });
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error?.code).toBe('rate_limited');
    expect(error?.retryAfterMs).toBe(7000);
    expect(delays).toEqual([]);
    expect(fake.requests.length - before).toBe(1);
  });

  it('a 429 within GROQ_MAX_RETRY_WAIT_MS waits what retry-after says, then streams', async () => {
    const { client, delays } = clientFor(fake, { maxRetryWaitMs: 20_000 });
    fake.enqueue({ kind: 'fixture', name: 'rate-limit-429' }, { kind: 'text', text: 'patience pays' });
    const { parts, error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error).toBeUndefined();
    expect(textOf(parts, 'text-delta')).toBe('patience pays');
    expect(delays).toEqual([7000]);
  });

  it('really waits with the default sleep (a short retry-after-ms)', async () => {
    const { client } = clientFor(fake, { sleep: undefined });
    fake.enqueue(
      { kind: 'http-error', status: 503, body: serverError, headers: { 'retry-after-ms': '120' } },
      { kind: 'text', text: 'waited' },
    );
    const before = fake.requests.length;
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error).toBeUndefined();
    const [first, second] = fake.requests.slice(before);
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(100);
  });
});

describe('never retries once the body started', () => {
  it('a cut after 3 chunks fails with network, partial text kept, one request only', async () => {
    const { client, delays } = clientFor(fake);
    const before = fake.requests.length;
    fake.enqueue({ kind: 'cut', text: 'alpha beta gamma delta epsilon', afterChunks: 3 });
    const stream = client.stream(simpleRequest());
    const { parts, error } = await collect(stream);
    await client.close();
    expect(textOf(parts, 'text-delta')).toBe('alpha beta gamma');
    expect(error?.code).toBe('network');
    expect(error?.partialText).toBe('alpha beta gamma');
    expect(stream.text).toBe('alpha beta gamma');
    expect(delays).toEqual([]);
    expect(fake.requests.length - before).toBe(1);
  });

  it('a stream that ends cleanly without [DONE] or a finish is an error, not a silent success', async () => {
    const { client, delays } = clientFor(fake);
    const chunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'half' }, finish_reason: null }] };
    fake.enqueue({ kind: 'http-error', status: 200, body: `data: ${JSON.stringify(chunk)}\n\n`, headers: { 'content-type': 'text/event-stream' } });
    const { parts, error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(textOf(parts, 'text-delta')).toBe('half');
    expect(error?.code).toBe('stream_error');
    expect(error?.partialText).toBe('half');
    expect(delays).toEqual([]);
  });

  it('a connection cut before any chunk, after the headers, is not retried either', async () => {
    const { client, delays } = clientFor(fake);
    const before = fake.requests.length;
    fake.enqueue({ kind: 'cut', text: 'never sent', afterChunks: 0 });
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error?.code).toBe('network');
    expect(delays).toEqual([]);
    expect(fake.requests.length - before).toBe(1);
  });
});
