import { request as httpRequest, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompletionPart } from '../../src/completion/types.js';
import { CompletionError } from '../../src/completion/completion-error.js';
import { fakeGroqDefaults, startFakeGroq, type FakeGroq } from '../fakes/fake-groq.js';
import { clientFor, collect, simpleRequest, textOf } from './helpers.js';

let fake: FakeGroq;

/** Starts a raw streamed request and resolves once its headers arrived; destroy() closes its socket. */
function openRawStream(url: string): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: 'POST', headers: { authorization: `Bearer ${fakeGroqDefaults.apiKey}`, 'content-type': 'application/json' } }, () =>
      resolve(outgoing),
    );
    outgoing.on('error', (error) => {
      if (!outgoing.destroyed) reject(error);
    });
    outgoing.end(JSON.stringify({ model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'control' }] }));
  });
}

beforeAll(async () => {
  fake = await startFakeGroq();
});

afterAll(async () => {
  await fake.close();
});

describe('timeouts', () => {
  it('the idle timeout fires on a stall, keeping the text so far, without a retry', async () => {
    const { client, delays } = clientFor(fake, { idleTimeoutMs: 300 });
    const before = fake.requests.length;
    fake.enqueue({ kind: 'stall', text: 'one two three four five', afterChunks: 2 });
    const startedAt = Date.now();
    const { parts, error } = await collect(client.stream(simpleRequest()));
    const elapsed = Date.now() - startedAt;
    await client.close();
    expect(textOf(parts, 'text-delta')).toBe('one two');
    expect(error?.code).toBe('timeout');
    expect(error?.partialText).toBe('one two');
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(delays).toEqual([]);
    expect(fake.requests.length - before).toBe(1);
    // The client dropped the stalled connection.
    await fake.requests[before]?.closed;
    expect(fake.requests[before]?.abortedAt).toBeDefined();
  });

  it('a slow first byte beyond timeoutMs is a retryable timeout, and is retried', async () => {
    const { client, delays } = clientFor(fake, { timeoutMs: 200, maxRetries: 1 });
    const before = fake.requests.length;
    fake.enqueue(
      { kind: 'text', text: 'too late', firstByteDelayMs: 2000 },
      { kind: 'text', text: 'on time' },
    );
    const { parts, error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error).toBeUndefined();
    expect(textOf(parts, 'text-delta')).toBe('on time');
    expect(delays).toHaveLength(1);
    expect(fake.requests.length - before).toBe(2);
  });

  it('reports timeout when every attempt is too slow', async () => {
    const { client } = clientFor(fake, { timeoutMs: 150, maxRetries: 0 });
    fake.enqueue({ kind: 'text', text: 'too late', firstByteDelayMs: 2000 });
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error?.code).toBe('timeout');
    expect(error?.retryable).toBe(true);
  });

  it('a first byte within timeoutMs streams normally', async () => {
    const { client } = clientFor(fake, { timeoutMs: 2000 });
    fake.enqueue({ kind: 'text', text: 'slow but fine', firstByteDelayMs: 100 });
    const { parts, error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error).toBeUndefined();
    expect(textOf(parts, 'text-delta')).toBe('slow but fine');
  });
});

describe('abort', () => {
  it('an abort mid-stream closes the connection within 50 ms and throws aborted', async () => {
    const { client } = clientFor(fake);
    const before = fake.requests.length;
    fake.enqueue(
      { kind: 'stall', text: 'one two three four five six seven eight', afterChunks: 6 },
      { kind: 'stall', text: 'control', afterChunks: 1 },
    );
    const controller = new AbortController();
    const stream = client.stream(simpleRequest(), { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    // Six chunks are written at once: they may arrive as one delta or several.
    const parts: CompletionPart[] = [];
    let delivered = '';
    while (delivered.length < 'one two three'.length) {
      const next = await iterator.next();
      if (next.done) break;
      parts.push(next.value);
      if (next.value.type === 'text-delta') delivered += next.value.text;
    }
    // A control connection closed by hand at the same moment: the fake shares this event loop, and on
    // a loaded machine its close events wait for the loop; that wait is no part of the client's reaction.
    const control = await openRawStream(`${fake.baseUrl}/chat/completions`);
    const abortedAt = Date.now();
    controller.abort();
    control.destroy();
    const caught = await iterator.next().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(caught).toBeInstanceOf(CompletionError);
    expect((caught as CompletionError).code).toBe('aborted');
    expect(delivered).toMatch(/^one two three/);
    expect((caught as CompletionError).partialText).toBe(delivered);
    expect(stream.text).toBe(delivered);
    const [recorded, controlRecord] = [fake.requests[before], fake.requests[before + 1]];
    await Promise.all([recorded?.closed, controlRecord?.closed]);
    expect(recorded?.abortedAt).toBeDefined();
    const loopDelay = Math.max(0, (controlRecord?.abortedAt ?? abortedAt) - abortedAt);
    expect((recorded?.abortedAt ?? Infinity) - abortedAt).toBeLessThanOrEqual(50 + loopDelay);
    await client.close();
  });

  it('an abort while the consumer waits for the next chunk ends the stream at once', async () => {
    const { client } = clientFor(fake);
    const before = fake.requests.length;
    fake.enqueue({ kind: 'stall', text: 'a b c', afterChunks: 1 });
    const controller = new AbortController();
    const stream = client.stream(simpleRequest(), { signal: controller.signal });
    const result = collect(stream);
    const recorded = (await fake.waitForRequests(before + 1))[before];
    setTimeout(() => controller.abort(), 50);
    const { error } = await result;
    expect(error?.code).toBe('aborted');
    await recorded?.closed;
    expect(recorded?.abortedAt).toBeDefined();
    await client.close();
  });

  it('an abort before the start sends nothing', async () => {
    const { client } = clientFor(fake);
    const before = fake.requests.length;
    const { error } = await collect(client.stream(simpleRequest(), { signal: AbortSignal.abort() }));
    await client.close();
    expect(error?.code).toBe('aborted');
    expect(fake.requests.length).toBe(before);
  });

  it('an abort during a retry wait ends at once with aborted', async () => {
    const { client } = clientFor(fake, { sleep: undefined });
    const before = fake.requests.length;
    fake.enqueue({ kind: 'http-error', status: 503, body: { error: { message: 'busy' } }, headers: { 'retry-after': '10' } });
    const controller = new AbortController();
    const result = collect(client.stream(simpleRequest(), { signal: controller.signal }));
    await fake.waitForRequests(before + 1);
    const startedAt = Date.now();
    setTimeout(() => controller.abort(), 30);
    const { error } = await result;
    await client.close();
    expect(error?.code).toBe('aborted');
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(fake.requests.length - before).toBe(1);
  });

  it('a consumer that breaks early closes the connection', async () => {
    const { client } = clientFor(fake);
    const before = fake.requests.length;
    fake.enqueue({ kind: 'text', text: 'word '.repeat(400), tokensPerSecond: 200 });
    let count = 0;
    for await (const part of client.stream(simpleRequest())) {
      if (part.type === 'text-delta') count += 1;
      if (count === 3) break;
    }
    const recorded = fake.requests[before];
    await recorded?.closed;
    expect(recorded?.abortedAt).toBeDefined();
    await client.close();
  });
});

describe('close', () => {
  it('close() cuts a stalled stream after a short grace instead of waiting for the idle timeout', async () => {
    const { client } = clientFor(fake, { idleTimeoutMs: 60_000 });
    fake.enqueue({ kind: 'stall', text: 'stuck here forever', afterChunks: 1 });
    const stream = client.stream(simpleRequest());
    const iterator = stream[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: { type: 'text-delta', text: 'stuck' } });
    const pending = iterator.next().then(
      () => undefined,
      (error: unknown) => error,
    );
    const startedAt = Date.now();
    await client.close();
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    const error = await pending;
    expect(error).toBeInstanceOf(CompletionError);
    expect((error as CompletionError).partialText).toBe('stuck');
  });
});
