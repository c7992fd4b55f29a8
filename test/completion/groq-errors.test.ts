import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompletionErrorCode } from '../../src/completion/completion-error.js';
import { startFakeGroq, type FakeGroq } from '../fakes/fake-groq.js';
import { clientFor, collect, simpleRequest } from './helpers.js';

let fake: FakeGroq;

beforeAll(async () => {
  fake = await startFakeGroq();
});

afterAll(async () => {
  await fake.close();
});

describe('HTTP error fixtures map to our codes', () => {
  it.each<[string, CompletionErrorCode, boolean, number, string | undefined]>([
    ['context-length-400', 'context_too_long', false, 400, 'context_length_exceeded'],
    ['json-validate-400', 'json_invalid', false, 400, 'json_validate_failed'],
    ['decommissioned-400', 'model_decommissioned', false, 400, 'model_decommissioned'],
    ['invalid-key-401', 'invalid_api_key', false, 401, 'invalid_api_key'],
    ['model-not-found-404', 'model_not_found', false, 404, 'model_not_found'],
    ['request-too-large-413', 'request_too_large', false, 413, 'rate_limit_exceeded'],
    ['rate-limit-429', 'rate_limited', true, 429, 'rate_limit_exceeded'],
    ['capacity-exceeded-498', 'capacity_exceeded', false, 498, 'capacity_exceeded'],
    ['server-503', 'server_error', true, 503, undefined],
  ])('%s → %s (retryable %s)', async (fixture, code, retryable, status, groqCode) => {
    const { client } = clientFor(fake, { maxRetries: 0 });
    const before = fake.requests.length;
    fake.enqueue({ kind: 'fixture', name: fixture });
    const { parts, error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(parts).toEqual([]);
    expect(error?.code).toBe(code);
    expect(error?.retryable).toBe(retryable);
    expect(error?.status).toBe(status);
    expect(error?.groqCode).toBe(groqCode);
    expect(error?.partialText).toBe('');
    expect(fake.requests.length - before).toBe(1);
  });

  it('keeps Groq’s details: type, message, request id and the wait of a 429', async () => {
    const { client } = clientFor(fake, { maxRetries: 0 });
    fake.enqueue({ kind: 'fixture', name: 'rate-limit-429' }, { kind: 'fixture', name: 'request-too-large-413' });
    const limited = (await collect(client.stream(simpleRequest()))).error;
    const tooLarge = (await collect(client.stream(simpleRequest()))).error;
    await client.close();
    expect(limited?.type).toBe('tokens');
    expect(limited?.requestId).toBe('req_01jq0ze0000000000000000004');
    expect(limited?.retryAfterMs).toBe(7000);
    expect(limited?.message).toContain('Rate limit reached');
    expect(tooLarge?.requestId).toBe('req_01jq0zg0000000000000000005');
  });

  it('reads the wait of a 429 from its message when no header gives one', async () => {
    const { client } = clientFor(fake, { maxRetries: 0 });
    fake.enqueue({
      kind: 'http-error',
      status: 429,
      body: { error: { message: 'Rate limit reached. Please try again in 1m2.5s.', type: 'requests', code: 'rate_limit_exceeded' } },
    });
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error?.code).toBe('rate_limited');
    expect(error?.retryAfterMs).toBe(62_500);
  });

  it.each<[number, CompletionErrorCode, boolean]>([
    [403, 'permission_denied', false],
    [422, 'invalid_request', false],
    [400, 'invalid_request', false],
    [408, 'timeout', true],
    [409, 'invalid_request', true],
    [500, 'server_error', true],
    [502, 'server_error', true],
  ])('status %i → %s (retryable %s)', async (status, code, retryable) => {
    const { client } = clientFor(fake, { maxRetries: 0 });
    fake.enqueue({ kind: 'http-error', status, body: { error: { message: `status ${status}`, type: 'invalid_request_error' } } });
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error?.code).toBe(code);
    expect(error?.retryable).toBe(retryable);
  });

  it('a wrong key gets the fake’s 401, mapped to invalid_api_key', async () => {
    const { client } = clientFor(fake, { apiKey: 'gsk_wrong_key_000000000000', maxRetries: 2 });
    const before = fake.requests.length;
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error?.code).toBe('invalid_api_key');
    expect(fake.requests.length - before).toBe(1);
  });

  it('an unknown model gets model_not_found naming it', async () => {
    const { client } = clientFor(fake);
    const { error } = await collect(client.stream(simpleRequest({ model: 'openai/gpt-oss-999b' })));
    await client.close();
    expect(error?.code).toBe('model_not_found');
    expect(error?.message).toContain('openai/gpt-oss-999b');
  });

  it('a connection refused is a retryable network error', async () => {
    const closed = await startFakeGroq();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const { client, delays } = clientFor(closed, { baseUrl, maxRetries: 1 });
    const { error } = await collect(client.stream(simpleRequest()));
    await client.close();
    expect(error?.code).toBe('network');
    expect(error?.retryable).toBe(true);
    expect(delays).toHaveLength(1);
  });
});
