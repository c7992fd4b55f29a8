import { afterAll, beforeAll } from 'vitest';
import { CompletionError } from '../../src/completion/completion-error.js';
import { GroqClient, type GroqClientOptions } from '../../src/completion/groq-client.js';
import type { CompletionPart, CompletionRequest, CompletionStream } from '../../src/completion/types.js';
import { createSilentLogger } from '../../src/logger.js';
import { fakeGroqDefaults, startFakeGroq, type FakeGroq } from '../fakes/fake-groq.js';

/** A client pointed at the fake, with retries that record their delays instead of waiting. */
export function clientFor(fake: FakeGroq, overrides: Partial<GroqClientOptions> = {}): { client: GroqClient; delays: number[] } {
  const delays: number[] = [];
  const client = new GroqClient({
    baseUrl: fake.baseUrl,
    apiKey: fakeGroqDefaults.apiKey,
    timeoutMs: 5000,
    idleTimeoutMs: 5000,
    maxRetries: 2,
    maxRetryWaitMs: 20_000,
    logger: createSilentLogger(),
    random: () => 0,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...overrides,
  });
  return { client, delays };
}

/** One fake Groq and a client on it for the whole test file: started before its first test, closed after its last. */
export function useFakeGroqClient(): { readonly fake: FakeGroq; readonly client: GroqClient } {
  let fake: FakeGroq | undefined;
  let client: GroqClient | undefined;
  beforeAll(async () => {
    fake = await startFakeGroq();
    client = clientFor(fake).client;
  });
  afterAll(async () => {
    await client?.close();
    await fake?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the fake Groq starts in beforeAll: use it inside a test');
    return value;
  };
  return {
    get fake() {
      return started(fake);
    },
    get client() {
      return started(client);
    },
  };
}

/** A minimal valid request. */
export function simpleRequest(overrides: Partial<CompletionRequest> = {}): CompletionRequest {
  return { model: 'openai/gpt-oss-120b', messages: [{ role: 'user', content: 'Hello there' }], ...overrides };
}

/** Everything a stream produced: its parts, and the error it ended with, if any. */
export async function collect(stream: CompletionStream): Promise<{ parts: CompletionPart[]; error: CompletionError | undefined }> {
  const parts: CompletionPart[] = [];
  try {
    for await (const part of stream) parts.push(part);
    return { parts, error: undefined };
  } catch (error) {
    if (!(error instanceof CompletionError)) throw error;
    return { parts, error };
  }
}

/** Joins the text of the parts of one type. */
export function textOf(parts: CompletionPart[], type: 'text-delta' | 'reasoning-delta'): string {
  return parts.map((part) => (part.type === type ? part.text : '')).join('');
}
