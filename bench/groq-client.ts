// npm run bench: our Groq client against the official groq-sdk, both consuming the same pre-built
// 10,000-chunk stream served by a separate process (bench/groq-stream-server.ts).
import { fork, type ChildProcess } from 'node:child_process';
import Groq from 'groq-sdk';
import { Pool, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { GroqClient } from '../src/completion/groq-client.js';
import { StreamDecoder } from '../src/completion/stream-decoder.js';
import { createSilentLogger } from '../src/logger.js';
import { benchAnswerText, benchChunkCount } from './groq-bench-stream.js';

const apiKey = 'gsk_bench_key_0123456789';
const request = { model: 'openai/gpt-oss-120b', messages: [{ role: 'user' as const, content: 'Stream ten thousand chunks.' }] };
const rounds = 6;

/** One consumption of the stream (its 10,000 text chunks): in how long, for how much CPU. */
interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** Consumes the stream once and returns the answer text it received. */
type Consumer = () => Promise<string>;

const expectedText = benchAnswerText();

async function measure(consume: Consumer): Promise<Sample> {
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const text = await consume();
  const wallMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  // Counted by the text, not by parts: our client joins the deltas of chunks read together.
  if (text !== expectedText) throw new Error(`expected the ${benchChunkCount} chunks' text (${expectedText.length} chars), got ${text.length} chars`);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL('./groq-stream-server.js', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve({ child, port: message.port }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`stream server exited with ${code}`)));
  });
}

/** Feeds a body through the client's decoder, collecting the answer text. */
async function decodeText(body: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new StreamDecoder();
  let text = '';
  for await (const bytes of body) {
    decoder.feed(bytes);
    while (decoder.hasParts) {
      const part = decoder.take();
      if (part.type === 'text-delta') text += part.text;
    }
  }
  return text;
}

function summarise(samples: Sample[]): { chunksPerSecond: number; cpuMsPer1000: number } {
  const chunks = samples.length * benchChunkCount;
  const wallMs = samples.reduce((sum, sample) => sum + sample.wallMs, 0);
  const cpuMs = samples.reduce((sum, sample) => sum + sample.cpuMs, 0);
  return { chunksPerSecond: (chunks / wallMs) * 1000, cpuMsPer1000: (cpuMs / chunks) * 1000 };
}

/** Runs the comparison and prints chunks per second, CPU per 1,000 chunks, and the ratios. */
export async function run(): Promise<void> {
  const { child, port } = await startServer();
  const origin = `http://127.0.0.1:${port}`;
  const client = new GroqClient({
    baseUrl: `${origin}/openai/v1`,
    apiKey,
    timeoutMs: 15_000,
    idleTimeoutMs: 30_000,
    maxRetries: 0,
    maxRetryWaitMs: 20_000,
    logger: createSilentLogger(),
  });
  const sdk = new Groq({ apiKey, baseURL: origin, maxRetries: 0 });
  const transportPool = new Pool(origin);

  const consumers: Record<string, Consumer> = {
    'groqbot GroqClient (undici request)': async () => {
      let text = '';
      for await (const part of client.stream(request)) if (part.type === 'text-delta') text += part.text;
      return text;
    },
    'groq-sdk': async () => {
      let text = '';
      const stream = await sdk.chat.completions.create({ ...request, stream: true });
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      return text;
    },
    // The transport choice, measured: the same decoder over undici request and over undici fetch.
    'decoder over undici request': async () => {
      const response = await undiciRequest(`${origin}/openai/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...request, stream: true }),
        dispatcher: transportPool,
      });
      return decodeText(response.body);
    },
    'decoder over undici fetch': async () => {
      const response = await undiciFetch(`${origin}/openai/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...request, stream: true }),
        dispatcher: transportPool,
      });
      return response.body === null ? '' : decodeText(response.body);
    },
  };
  const names = Object.keys(consumers);
  const samples = new Map<string, Sample[]>(names.map((name) => [name, []]));
  try {
    for (const name of names) await measure(consumers[name] as Consumer); // warm-up: JIT and connections
    for (let round = 0; round < rounds; round += 1) {
      // Interleaved, and the order rotates, so drift in machine load hits every client alike.
      for (let index = 0; index < names.length; index += 1) {
        const name = names[(index + round) % names.length] as string;
        samples.get(name)?.push(await measure(consumers[name] as Consumer));
      }
    }
  } finally {
    await client.close();
    await transportPool.close();
    child.disconnect();
    child.kill();
  }

  console.log(`\nGroq client: ${rounds} × ${benchChunkCount.toLocaleString('en')} chunks per client, stream served by a separate process`);
  const results = names.map((name) => ({ name, ...summarise(samples.get(name) ?? []) }));
  for (const result of results) {
    console.log(
      `  ${result.name.padEnd(36)} ${Math.round(result.chunksPerSecond).toLocaleString('en').padStart(10)} chunks/s   ${result.cpuMsPer1000.toFixed(2).padStart(6)} CPU ms / 1,000 chunks`,
    );
  }
  const [ours, theirs, viaRequest, viaFetch] = results;
  if (ours && theirs && viaRequest && viaFetch) {
    const throughput = ours.chunksPerSecond / theirs.chunksPerSecond;
    const cpu = ours.cpuMsPer1000 / theirs.cpuMsPer1000;
    console.log(`  GroqClient / groq-sdk: throughput ×${throughput.toFixed(2)} (target ≥ 1.5), CPU per chunk ×${cpu.toFixed(2)} (target ≤ 1)`);
    console.log(
      `  undici request / fetch (same decoder): throughput ×${(viaRequest.chunksPerSecond / viaFetch.chunksPerSecond).toFixed(2)}, CPU per chunk ×${(viaRequest.cpuMsPer1000 / viaFetch.cpuMsPer1000).toFixed(2)}`,
    );
    console.log(`  ${throughput >= 1.5 && cpu <= 1 ? 'target met' : 'TARGET MISSED'}`);
  }
}
