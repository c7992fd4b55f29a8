// npm run bench -- slack-acknowledgement: Slack's HTTP delivery → our listener, with Bolt's 200 written
// before the listener (processBeforeResponse: false, the baseline) and after it (true, what the adapter does).
import { fork } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver } from '@slack/bolt';
import { toSlackLogger } from '../adapters/slack/slack-logger.js';
import { createSilentLogger } from '../src/logger.js';
import { percentile } from './end-to-end-measure.js';
import type { SenderJob } from './slack-delivery-sender.js';

const signingSecret = 'bench-signing-secret';
const deliveries = 600;
/** The first deliveries run the code cold; they are left out of the figures. */
const warmUpDeliveries = 100;
/** Idle between deliveries, as a quiet bot is: the service's loop sleeps before each one. */
const spacingMs = 3;

/** Arrival (before Bolt reads the body) → our listener, for each delivery, in ms. */
async function measure(processBeforeResponse: boolean, tag: string): Promise<number[]> {
  const arrivals = new WeakMap<IncomingMessage, number>();
  const delays: number[] = [];
  const logger = toSlackLogger(createSilentLogger());
  const receiver = new HTTPReceiver({
    signingSecret,
    endpoints: '/slack/events',
    logger,
    processBeforeResponse,
    customPropertiesExtractor: (request) => ({ receivedAt: arrivals.get(request) }),
  });
  const app = new App({ token: 'xoxb-bench', botId: 'B0BENCH', botUserId: 'U0BOT', receiver, logger, convoStore: false });
  app.event('app_mention', async ({ context }) => {
    if (typeof context.receivedAt === 'number') delays.push(performance.now() - context.receivedAt);
  });
  const server = createServer((request, response) => {
    arrivals.set(request, performance.now());
    receiver.requestListener(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sender = fork(new URL('./slack-delivery-sender.js', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const job: SenderJob = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`, signingSecret, count: deliveries, spacingMs, tag };
    const outcome = await new Promise<{ done?: boolean; error?: string }>((resolve) => {
      sender.once('message', (message: { done?: boolean; error?: string }) => resolve(message));
      sender.send(job);
    });
    if (outcome.error !== undefined) throw new Error(outcome.error);
  } finally {
    sender.kill();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  if (delays.length !== deliveries) throw new Error(`the listener heard ${delays.length} of ${deliveries} deliveries`);
  return delays.slice(warmUpDeliveries);
}

function summary(delays: number[]): string {
  return `p50 ${percentile(delays, 50).toFixed(2)} ms, p90 ${percentile(delays, 90).toFixed(2)} ms, p99 ${percentile(delays, 99).toFixed(2)} ms`;
}

/** Both variants twice, interleaved, in one run. */
export async function run(): Promise<void> {
  console.log(`slack-acknowledgement: ${deliveries} signed deliveries ${spacingMs} ms apart from another process (fetch, kept alive); arrival → listener (first ${warmUpDeliveries} left out)`);
  const before: number[] = [];
  const after: number[] = [];
  for (let round = 0; round < 2; round += 1) {
    before.push(...(await measure(false, `B${round}`)));
    after.push(...(await measure(true, `A${round}`)));
  }
  console.log(`  200 written before the listener (baseline)   ${summary(before)}`);
  console.log(`  200 written after the listener (the adapter)  ${summary(after)}`);
  console.log(`  p50 ratio after / before: ${(percentile(after, 50) / percentile(before, 50)).toFixed(2)}`);
}
