import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGroq, tokenize, type FakeGroq } from '../fakes/fake-groq.js';
import { clientFor, collect, simpleRequest, textOf } from './helpers.js';

let fake: FakeGroq;

beforeAll(async () => {
  fake = await startFakeGroq();
});

afterAll(async () => {
  await fake.close();
});

/** A raw POST, to see the fake's bytes without any client in between. */
function rawPost(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const url = new URL(`${fake.baseUrl}/chat/completions`);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      { method: 'POST', headers: { authorization: 'Bearer gsk_test_fake_key_0123456789', 'content-type': 'application/json', ...headers } },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, text: Buffer.concat(chunks).toString('utf8') }));
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
}

describe('tokenize', () => {
  it.each(['SQLite keeps the whole database in one file, so backups are a copy.', '  leading and trailing  ', 'a\n\nb', 'Grüße, 東京!', '', '...'])(
    'concatenation gives back %j',
    (text) => {
      expect(tokenize(text).join('')).toBe(text);
    },
  );

  it('splits like the fixtures: word pieces with their leading space, punctuation apart', () => {
    expect(tokenize('in one file, so')).toEqual(['in', ' one', ' file', ',', ' so']);
  });
});

describe('fake Groq', () => {
  it('frames a text stream exactly like the fixtures', async () => {
    fake.enqueue({ kind: 'text', text: 'Hi there.' });
    const response = await rawPost({ model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'Hello' }], stream: true });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream');
    expect(response.headers['x-request-id']).toMatch(/^req_/);
    expect(response.headers['x-ratelimit-limit-tokens']).toBe('8000');
    const events = response.text.split('\n\n').filter((event) => event !== '');
    expect(events.every((event) => event.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice(6)) as Record<string, any>);
    expect(chunks[0]?.choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks[0]?.x_groq.id).toBe(response.headers['x-request-id']);
    expect(chunks.slice(1, -1).map((chunk) => chunk.choices[0].delta.content)).toEqual(['Hi', ' there', '.']);
    const last = chunks.at(-1);
    expect(last?.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' });
    expect(last?.usage.completion_tokens).toBe(3);
    expect(last?.x_groq.usage).toEqual(last?.usage);
    // The fixture's key order, so byte-level parsers see what Groq sends.
    const fixtureKeys = Object.keys(JSON.parse(readFileSync(new URL('../fakes/fixtures/groq/text.sse', import.meta.url), 'utf8').split('\n')[0]!.slice(6)));
    expect(Object.keys(chunks[0] ?? {})).toEqual(fixtureKeys);
  });

  it('leaves usage out of the top level when asked', async () => {
    fake.enqueue({ kind: 'text', text: 'x', usageOnlyInXGroq: true });
    const response = await rawPost({ model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'Hello' }] });
    const finish = JSON.parse(response.text.split('\n\n').at(-3)!.slice(6)) as Record<string, any>;
    expect(finish.usage).toBeUndefined();
    expect(finish.x_groq.usage.completion_tokens).toBe(1);
  });

  it('answers a wrong key with 401 and an unknown model with 404, without using a queued behaviour', async () => {
    fake.enqueue({ kind: 'text', text: 'queued answer' });
    const unauthorised = await rawPost({ model: 'openai/gpt-oss-120b', messages: [] }, { authorization: 'Bearer nope' });
    expect(unauthorised.status).toBe(401);
    expect(JSON.parse(unauthorised.text).error.code).toBe('invalid_api_key');
    const unknown = await rawPost({ model: 'llama-9', messages: [] });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text).error.code).toBe('model_not_found');
    const answered = await rawPost({ model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'x' }] });
    expect(answered.text).toContain('"queued"');
  });

  it('rejects what Groq rejects: message names, stream_options, n ≠ 1', async () => {
    const named = await rawPost({ model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'x', name: 'bob' }] });
    expect(named.status).toBe(400);
    const options = await rawPost({ model: 'openai/gpt-oss-120b', messages: [], stream_options: { include_usage: true } });
    expect(options.status).toBe(400);
  });

  it('records requests, with an unparsable body as {}', async () => {
    const before = fake.requests.length;
    await rawPost('not json');
    const recorded = fake.requests[before];
    expect(recorded?.rawBody).toBe('not json');
    expect(recorded?.body).toEqual({});
  });

  it('echoes the last user message by default and uses a custom fallback when set', async () => {
    const { client } = clientFor(fake);
    const echoed = await collect(client.stream(simpleRequest({ messages: [{ role: 'user', content: 'ping' }] })));
    expect(textOf(echoed.parts, 'text-delta')).toBe('You said: ping');
    fake.setFallback((request) => ({ kind: 'text', text: `model ${String(request.body.model)}` }));
    const custom = await collect(client.stream(simpleRequest()));
    expect(textOf(custom.parts, 'text-delta')).toBe('model openai/gpt-oss-120b');
    fake.setFallback((request) => ({ kind: 'text', text: `You said: ${String((request.body.messages as Array<{ content: string }>).at(-1)?.content)}` }));
    await client.close();
  });

  it('paces text at the given rate', async () => {
    const { client } = clientFor(fake);
    const text = 'tick '.repeat(100).trim();
    fake.enqueue({ kind: 'text', text, tokensPerSecond: 1000 });
    const startedAt = performance.now();
    const { parts } = await collect(client.stream(simpleRequest()));
    const elapsed = performance.now() - startedAt;
    await client.close();
    expect(textOf(parts, 'text-delta')).toBe(text);
    // 100 tokens at 1,000 per second cannot arrive in much under 100 ms.
    expect(elapsed).toBeGreaterThanOrEqual(90);
  });

  it('serves hundreds of concurrent paced streams', async () => {
    const { client } = clientFor(fake);
    const texts = Array.from({ length: 200 }, (_, index) => `stream ${index} says ${'hello '.repeat(8).trim()}`);
    fake.setFallback((request) => ({ kind: 'text', text: String((request.body.messages as Array<{ content: string }>).at(-1)?.content), tokensPerSecond: 500 }));
    const results = await Promise.all(texts.map((text) => collect(client.stream(simpleRequest({ messages: [{ role: 'user', content: text }] })))));
    fake.setFallback((request) => ({ kind: 'text', text: `You said: ${String((request.body.messages as Array<{ content: string }>).at(-1)?.content)}` }));
    await client.close();
    expect(results.map((result) => textOf(result.parts, 'text-delta'))).toEqual(texts);
    expect(results.every((result) => result.error === undefined)).toBe(true);
  });

  it('serves fixture HTTP errors with their status and headers', async () => {
    fake.enqueue({ kind: 'fixture', name: 'rate-limit-429' });
    const response = await rawPost({ model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'x' }] });
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.headers['x-ratelimit-reset-tokens']).toBe('6.78s');
  });

  it('waitForRequests rejects when too few arrive', async () => {
    await expect(fake.waitForRequests(fake.requests.length + 1, 50)).rejects.toThrow(/expected/);
  });
});
