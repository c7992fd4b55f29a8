import diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { CompletionError } from '../../src/completion/completion-error.js';
import { createMetrics } from '../../src/metrics.js';
import { tokenize } from '../fakes/fake-groq.js';
import { clientFor, collect, simpleRequest, textOf, useFakeGroqClient } from './helpers.js';

const groq = useFakeGroqClient();

/** The kinds of parts in order, runs of one kind counted once. */
function kindsInOrder(parts: Array<{ type: string }>): string[] {
  return parts.map((part) => part.type).filter((type, index, types) => index === 0 || types[index - 1] !== type);
}

describe('GroqClient streams the recorded fixtures', () => {
  it('text: text deltas in order, then finish with usage; request id and rate limits known', async () => {
    groq.fake.enqueue({ kind: 'fixture', name: 'text' });
    const stream = groq.client.stream(simpleRequest());
    const { parts, error } = await collect(stream);
    expect(error).toBeUndefined();
    // The fake writes the whole fixture at once: frames read together arrive joined (stream-decoder tests).
    expect(textOf(parts, 'text-delta')).toBe('SQLite keeps the whole database in one file, so backups are a copy.');
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      reason: 'stop',
      usage: { promptTokens: 92, completionTokens: 14, totalTokens: 106 },
    });
    expect(parts.filter((part) => part.type === 'finish')).toHaveLength(1);
    expect(stream.text).toBe('SQLite keeps the whole database in one file, so backups are a copy.');
    expect(stream.requestId).toBe('req_01jq0z7k3mfe8v2b4n6c9x1a5d');
    expect(stream.rateLimit?.limitTokens).toBe(8000);
    expect(stream.rateLimit?.resetTokensMs).toBe(7660);
  });

  it('reasoning: reasoning deltas kept apart from the answer, reasoning tokens in usage', async () => {
    groq.fake.enqueue({ kind: 'fixture', name: 'reasoning' });
    const stream = groq.client.stream(simpleRequest());
    const { parts, error } = await collect(stream);
    expect(error).toBeUndefined();
    expect(kindsInOrder(parts)).toEqual(['reasoning-delta', 'text-delta', 'finish']);
    expect(textOf(parts, 'reasoning-delta')).toBe('The user asks for 2+2. Simple.');
    expect(textOf(parts, 'text-delta')).toBe('2 + 2 = 4.');
    expect(stream.text).toBe('2 + 2 = 4.');
    expect(parts.at(-1)).toMatchObject({ type: 'finish', reason: 'stop', usage: { promptTokens: 70, completionTokens: 19, reasoningTokens: 8 } });
  });

  it('json-object: the JSON text arrives whole and parses', async () => {
    groq.fake.enqueue({ kind: 'fixture', name: 'json-object' });
    const { parts, error } = await collect(groq.client.stream(simpleRequest({ responseFormat: { type: 'json_object' } })));
    expect(error).toBeUndefined();
    expect(JSON.parse(textOf(parts, 'text-delta'))).toEqual({ city: 'Paris', country: 'France' });
    expect(parts.at(-1)).toMatchObject({ type: 'finish', reason: 'stop' });
  });

  it('length: finish reason length', async () => {
    groq.fake.enqueue({ kind: 'fixture', name: 'length' });
    const { parts } = await collect(groq.client.stream(simpleRequest()));
    expect(textOf(parts, 'text-delta')).toBe('Once upon a time');
    expect(parts.at(-1)).toEqual({ type: 'finish', reason: 'length', usage: { promptTokens: 40, completionTokens: 4, totalTokens: 44 } });
  });

  it('usage only in x_groq: usage still reported', async () => {
    groq.fake.enqueue({ kind: 'fixture', name: 'usage-only-in-x-groq' });
    const stream = groq.client.stream(simpleRequest({ model: 'openai/gpt-oss-20b' }));
    const { parts } = await collect(stream);
    expect(textOf(parts, 'text-delta')).toBe('Hello from the older format');
    expect(parts.at(-1)).toEqual({ type: 'finish', reason: 'stop', usage: { promptTokens: 31, completionTokens: 5, totalTokens: 36 } });
    expect(stream.requestId).toBe('req_01jq1a0000000000000000000a');
  });

  it('x_groq.error: raises stream_error with the partial text', async () => {
    groq.fake.enqueue({ kind: 'fixture', name: 'x-groq-error' });
    const stream = groq.client.stream(simpleRequest());
    const { parts, error } = await collect(stream);
    expect(textOf(parts, 'text-delta')).toBe('Partial answer');
    expect(error).toBeInstanceOf(CompletionError);
    expect(error?.code).toBe('stream_error');
    expect(error?.message).toContain('upstream capacity');
    expect(error?.partialText).toBe('Partial answer');
    expect(error?.requestId).toBe('req_01jq1b0000000000000000000b');
    expect(stream.text).toBe('Partial answer');
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
  });

  it('event: error mid-stream (fixture): raises with status and partial text, never retried', async () => {
    const before = groq.fake.requests.length;
    groq.fake.enqueue({ kind: 'fixture', name: 'error-mid-stream' });
    const { parts, error } = await collect(groq.client.stream(simpleRequest()));
    expect(textOf(parts, 'text-delta')).toBe('Let me check');
    expect(error?.code).toBe('stream_error');
    expect(error?.status).toBe(503);
    expect(error?.type).toBe('internal_server_error');
    expect(error?.partialText).toBe('Let me check');
    expect(groq.fake.requests.length - before).toBe(1);
  });

  it('event: error mid-stream (behaviour) with a Groq code maps that code', async () => {
    groq.fake.enqueue({
      kind: 'error-event',
      text: 'one two three four',
      afterChunks: 2,
      error: { message: 'Failed to generate JSON', type: 'invalid_request_error', code: 'json_validate_failed' },
    });
    const { error } = await collect(groq.client.stream(simpleRequest()));
    expect(error?.code).toBe('json_invalid');
    expect(error?.groqCode).toBe('json_validate_failed');
    expect(error?.partialText).toBe('one two');
  });
});

describe('GroqClient against the fake text behaviour', () => {
  it('streams tokenized text, reasoning first, and usage from the fake', async () => {
    const text = 'Streaming works, one piece at a time.';
    groq.fake.enqueue({ kind: 'text', text, reasoning: 'Think first.', usage: { prompt_tokens: 12 } });
    const stream = groq.client.stream(simpleRequest());
    const { parts } = await collect(stream);
    const reasoningCount = tokenize('Think first.').length;
    const textCount = tokenize(text).length;
    expect(kindsInOrder(parts)).toEqual(['reasoning-delta', 'text-delta', 'finish']);
    expect(textOf(parts, 'reasoning-delta')).toBe('Think first.');
    expect(textOf(parts, 'text-delta')).toBe(text);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', reason: 'stop', usage: { promptTokens: 12, completionTokens: reasoningCount + textCount, reasoningTokens: reasoningCount } });
    expect(stream.requestId).toMatch(/^req_/);
  });

  it('keeps multi-byte characters whole when chunks split them', async () => {
    const text = 'Grüße 👋🏽 — 東京 ✓';
    groq.fake.enqueue({ kind: 'text', text, chunks: [...text] });
    const { parts } = await collect(groq.client.stream(simpleRequest()));
    expect(textOf(parts, 'text-delta')).toBe(text);
  });

  it('records outcome, errors and time to first token in the metrics', async () => {
    const metrics = createMetrics();
    const { client: measured } = clientFor(groq.fake, { metrics, maxRetries: 0 });
    groq.fake.enqueue({ kind: 'text', text: 'hello world' }, { kind: 'fixture', name: 'server-503' });
    await collect(measured.stream(simpleRequest()));
    await collect(measured.stream(simpleRequest()));
    await measured.close();
    const requests = await metrics.groqRequests.get();
    expect(requests.values.map((value) => [value.labels.outcome, value.value]).sort()).toEqual([
      ['ok', 1],
      ['server_error', 1],
    ]);
    const errors = await metrics.groqErrors.get();
    expect(errors.values.map((value) => [value.labels.code, value.value])).toEqual([['server_error', 1]]);
    const firstToken = await metrics.groqTimeToFirstToken.get();
    expect(firstToken.values.find((value) => value.metricName?.endsWith('_count'))?.value).toBe(1);
  });

  it('reuses one keep-alive connection across sequential streams', async () => {
    const { client: fresh } = clientFor(groq.fake);
    let connections = 0;
    const onConnected = (): void => {
      connections += 1;
    };
    diagnostics.subscribe('undici:client:connected', onConnected);
    try {
      for (let index = 0; index < 5; index += 1) {
        groq.fake.enqueue({ kind: 'text', text: `answer number ${index}` });
        const { parts, error } = await collect(fresh.stream(simpleRequest()));
        expect(error).toBeUndefined();
        expect(textOf(parts, 'text-delta')).toBe(`answer number ${index}`);
      }
    } finally {
      diagnostics.unsubscribe('undici:client:connected', onConnected);
      await fresh.close();
    }
    // undici's pool learns a connection is free a tick after the body ends, so a request sent at once
    // may open a second one; what matters is that connections are reused rather than one per stream.
    expect(connections).toBeLessThanOrEqual(2);
  });
});
