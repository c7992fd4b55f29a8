import { describe, expect, it } from 'vitest';
import type { CompletionRequest } from '../../src/completion/types.js';
import { collect, simpleRequest, useFakeGroqClient } from './helpers.js';

const groq = useFakeGroqClient();

describe('request on the wire', () => {
  it('sends every parameter under Groq’s name, with the key, streaming on', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const request: CompletionRequest = {
      model: 'openai/gpt-oss-20b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Where is the Louvre?' },
        { role: 'assistant', content: 'Paris.' },
        { role: 'user', content: 'As JSON please' },
      ],
      temperature: 0.3,
      topP: 0.9,
      maxCompletionTokens: 256,
      stop: ['\n\n', ', 6'],
      seed: 42,
      responseFormat: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } },
      reasoningEffort: 'low',
      includeReasoning: false,
      user: 'slack:T1:U2',
      n: 1,
    };
    const before = groq.fake.requests.length;
    const { error } = await collect(groq.client.stream(request));
    expect(error).toBeUndefined();
    const recorded = groq.fake.requests[before];
    expect(recorded?.method).toBe('POST');
    expect(recorded?.path).toBe('/openai/v1/chat/completions');
    expect(recorded?.headers.authorization).toBe('Bearer gsk_test_fake_key_0123456789');
    expect(recorded?.headers['content-type']).toBe('application/json');
    expect(recorded?.body).toEqual({
      model: 'openai/gpt-oss-20b',
      messages: request.messages,
      stream: true,
      temperature: 0.3,
      top_p: 0.9,
      max_completion_tokens: 256,
      stop: ['\n\n', ', 6'],
      seed: 42,
      response_format: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } },
      reasoning_effort: 'low',
      include_reasoning: false,
      user: 'slack:T1:U2',
    });
  });

  it('passes reasoning_format, a single stop string and json_object through', async () => {
    const before = groq.fake.requests.length;
    await collect(groq.client.stream(simpleRequest({ reasoningFormat: 'parsed', stop: 'END', responseFormat: { type: 'json_object' } })));
    const body = groq.fake.requests[before]?.body;
    expect(body?.reasoning_format).toBe('parsed');
    expect(body?.stop).toBe('END');
    expect(body?.response_format).toEqual({ type: 'json_object' });
  });

  it('never sends max_tokens, n, stream_options or a message name, and omits what is unset', async () => {
    const before = groq.fake.requests.length;
    const messages = [{ role: 'user', content: 'hi', name: 'alice' }] as unknown as CompletionRequest['messages'];
    const { error } = await collect(groq.client.stream({ model: 'openai/gpt-oss-120b', messages, n: 1 }));
    expect(error).toBeUndefined();
    const recorded = groq.fake.requests[before];
    expect(Object.keys(recorded?.body ?? {}).sort()).toEqual(['messages', 'model', 'stream']);
    expect(recorded?.rawBody).not.toMatch(/max_tokens|"n"|stream_options|"name"/);
    expect(recorded?.body.messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('sends encoded messages verbatim, in order among the others', async () => {
    const before = groq.fake.requests.length;
    const stored = JSON.stringify({ role: 'user', content: 'stored "question"\nwith a line' });
    const answer = JSON.stringify({ role: 'assistant', content: 'stored answer 😀' });
    const earlier = [JSON.stringify({ role: 'user', content: 'first, {"role":"x"}' }), JSON.stringify({ role: 'assistant', content: 'first answer' })];
    const messages: CompletionRequest['messages'] = [
      { role: 'system', content: 'Be brief.' },
      { run: earlier.join(','), count: 2 },
      { role: 'user', json: stored },
      { role: 'assistant', json: answer },
      { role: 'user', content: 'and now?' },
    ];
    const { error } = await collect(groq.client.stream({ model: 'openai/gpt-oss-120b', messages }));
    expect(error).toBeUndefined();
    const recorded = groq.fake.requests[before];
    expect(recorded?.rawBody).toContain(`${earlier.join(',')},${stored},${answer}`);
    expect(recorded?.body).toEqual({
      model: 'openai/gpt-oss-120b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'first, {"role":"x"}' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: 'stored "question"\nwith a line' },
        { role: 'assistant', content: 'stored answer 😀' },
        { role: 'user', content: 'and now?' },
      ],
      stream: true,
    });
  });

  it.each<[string, Partial<CompletionRequest>, RegExp]>([
    ['an encoded message of an unknown role', { messages: [{ role: 'tool' as 'user', json: '{"role":"tool","content":"x"}' }] }, /messages\[0\]\.role/],
    ['an empty run of encoded messages', { messages: [{ role: 'system', content: 'x' }, { run: '', count: 0 }] }, /messages\[1\]\.run.*messages\[1\]\.count/],
    ['n other than 1', { n: 2 }, /n must be 1/],
    ['five stop sequences', { stop: ['a', 'b', 'c', 'd', 'e'] }, /at most 4/],
    ['temperature above 2', { temperature: 2.5 }, /temperature/],
    ['negative temperature', { temperature: -0.1 }, /temperature/],
    ['top_p above 1', { topP: 1.5 }, /top_p/],
    ['NaN top_p', { topP: Number.NaN }, /top_p/],
    ['no messages', { messages: [] }, /messages/],
  ])('rejects %s locally, before any network call', async (_label, overrides, message) => {
    const before = groq.fake.requests.length;
    const { parts, error } = await collect(groq.client.stream(simpleRequest(overrides)));
    expect(parts).toEqual([]);
    expect(error?.code).toBe('invalid_request');
    expect(error?.retryable).toBe(false);
    expect(error?.message).toMatch(message);
    expect(groq.fake.requests.length).toBe(before);
  });

  it('names every problem of a request at once', async () => {
    const { error } = await collect(groq.client.stream(simpleRequest({ n: 3, temperature: 9, topP: 2 })));
    expect(error?.message).toMatch(/n must be 1.*temperature.*top_p/);
  });

  it('accepts the boundary values', async () => {
    const { error } = await collect(groq.client.stream(simpleRequest({ temperature: 0, topP: 1, stop: ['a', 'b', 'c', 'd'] })));
    expect(error).toBeUndefined();
    expect(groq.fake.requests.at(-1)?.body.temperature).toBe(0);
  });
});
