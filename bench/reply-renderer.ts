import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PlatformError } from '../src/errors.js';
import { createSilentLogger } from '../src/logger.js';
import type { PostedMessageRef } from '../src/platform.js';
import { ReplyRenderer } from '../src/reply/reply-renderer.js';
import type { ReplyTarget } from '../src/reply/types.js';
import { FakeReplyTarget, FakeScope } from '../test/fakes/fake-reply-target.js';

/**
 * 30 concurrent replies in one Slack-like workspace scope (chat.update: burst 20, 50/min) plus 70
 * across 10 Discord-like channels (5 per 5 s each), each fed 400 tokens at 1,000 tokens/s, on
 * fake targets answering in 30–80 ms. Runs the budgeted renderer, then a naive one (an edit on
 * every delta, no budget, retrying 429s after retry-after like discord.js) capped at 20 s.
 */

const tokensPerReply = 400;
const tokensPerSecond = 1_000;
const naiveCapMs = 20_000;
const latency = { min: 30, max: 80 };
const editIntervalMs = 1_000;
const marker = ' ⚪';

interface Reply {
  platform: 'slack' | 'discord';
  target: FakeReplyTarget;
  answer: string;
  firstDeltaAt: number;
  lastDeltaAt: number;
}

interface Setup {
  replies: Reply[];
  /** The contended budgets: the Slack workspace's chat.update and each Discord channel. */
  budgets: FakeScope[];
  allScopes: FakeScope[];
}

/** Runs the benchmark and prints its figures. */
export async function run(): Promise<void> {
  console.log('reply-renderer: 30 Slack replies (one workspace, burst 20, 50/min) + 70 Discord replies (10 channels, 5 per 5 s)');
  console.log(`  each reply: ${tokensPerReply} tokens at ${tokensPerSecond} tokens/s; target latency ${latency.min}-${latency.max} ms; edit interval ${editIntervalMs} ms`);
  console.log(`  idle event-loop delay p99 on this machine now: ${(await idleLoopDelayP99Ms()).toFixed(1)} ms`);
  const budgeted = await measure('budgeted', async (setup) => {
    const renderer = new ReplyRenderer({ logger: createSilentLogger() });
    await Promise.all(
      setup.replies.map(async (reply) => {
        const handle = renderer.start(reply.target);
        await stream(reply, (delta) => handle.append(delta));
        await handle.complete();
      }),
    );
  });
  const naive = await measure('naive', async (setup) => {
    const deadline = performance.now() + naiveCapMs;
    await Promise.all(
      setup.replies.map(async (reply) => {
        const naiveReply = new NaiveReply(reply.target, deadline);
        await stream(reply, (delta) => naiveReply.append(delta));
        await naiveReply.complete();
      }),
    );
  });
  for (const result of [budgeted, naive]) printResult(result);
}

/** The event-loop delay of this process doing nothing for a second: the floor the figures sit on. */
async function idleLoopDelayP99Ms(): Promise<number> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  loop.disable();
  return loop.percentile(99) / 1e6;
}

interface Result {
  name: string;
  wallMs: number;
  rows: Array<{ platform: string; firstVisible: number[]; finalVisible: number[]; callsPerReply: number[]; lost: number; rateLimited: number; budgetUse: number }>;
  loopDelayP99Ms: number;
  peakRssMb: number;
}

async function measure(name: string, body: (setup: Setup) => Promise<void>): Promise<Result> {
  const setup = createSetup(name);
  // The histogram records whole timer intervals, so a fine resolution keeps it close to the real delay.
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  loop.enable();
  const startedAt = performance.now();
  await body(setup);
  const wallMs = performance.now() - startedAt;
  loop.disable();
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const rows = (['slack', 'discord'] as const).map((platform) => {
    const replies = setup.replies.filter((reply) => reply.platform === platform);
    const firstVisible: number[] = [];
    const finalVisible: number[] = [];
    let lost = 0;
    for (const reply of replies) {
      const landed = reply.target.messageCalls().filter((call) => call.outcome === 'ok');
      const firstText = landed.find((call) => call.text !== undefined && call.text.trim() !== '⏳');
      if (firstText?.endedAt !== undefined) firstVisible.push(firstText.endedAt - reply.firstDeltaAt);
      if (isExact(reply.target.texts(), reply.answer)) {
        finalVisible.push((landed.at(-1)?.endedAt ?? Number.NaN) - reply.lastDeltaAt);
      } else {
        lost += 1;
      }
    }
    const scopes = setup.budgets.filter((scope) => scope.key.includes(platform));
    const sent = scopes.reduce((sum, scope) => sum + scope.calls.length, 0);
    const allowed = scopes.reduce((sum, scope) => sum + allowedCalls(scope), 0);
    return {
      platform,
      firstVisible,
      finalVisible,
      callsPerReply: replies.map((reply) => reply.target.messageCalls().length),
      lost,
      rateLimited: setup.allScopes.filter((scope) => scope.key.includes(platform)).reduce((sum, scope) => sum + scope.rateLimited, 0),
      budgetUse: allowed === 0 ? 0 : sent / allowed,
    };
  });
  return { name, wallMs, rows, loopDelayP99Ms: loop.percentile(99) / 1e6, peakRssMb: peakRss / 1024 / 1024 };
}

function createSetup(run: string): Setup {
  const replies: Reply[] = [];
  const budgets: FakeScope[] = [];
  const allScopes: FakeScope[] = [];
  const workspace = new FakeScope(`${run}:slack:update:T1`, 20, 50 / 60);
  budgets.push(workspace);
  allScopes.push(workspace);
  for (let index = 0; index < 30; index += 1) {
    // Slack posts draw on a per-channel budget (about 1 per second, short bursts): 3 replies a channel.
    const channel = Math.floor(index / 3);
    let postScope = allScopes.find((scope) => scope.key === `${run}:slack:post:C${channel}`);
    if (postScope === undefined) {
      postScope = new FakeScope(`${run}:slack:post:C${channel}`, 3, 1);
      allScopes.push(postScope);
    }
    const target = new FakeReplyTarget({ name: `${run}-slack-${index}`, platform: 'slack', maxLength: 4_000, minEditIntervalMs: editIntervalMs, postScope, editScope: workspace, latencyMs: latency });
    replies.push({ platform: 'slack', target, answer: answerText(index), firstDeltaAt: 0, lastDeltaAt: 0 });
  }
  for (let channel = 0; channel < 10; channel += 1) {
    const scope = new FakeScope(`${run}:discord:channel:${channel}`, 5, 1);
    budgets.push(scope);
    allScopes.push(scope);
    for (let index = 0; index < 7; index += 1) {
      const target = new FakeReplyTarget({ name: `${run}-discord-${channel}-${index}`, platform: 'discord', maxLength: 2_000, minEditIntervalMs: editIntervalMs, postScope: scope, latencyMs: latency });
      replies.push({ platform: 'discord', target, answer: answerText(100 + channel * 7 + index), firstDeltaAt: 0, lastDeltaAt: 0 });
    }
  }
  return { replies, budgets, allScopes };
}

/** Feeds the reply's answer as 400 tokens at 1,000 tokens/s, several per timer tick as a socket would. */
function stream(reply: Reply, append: (delta: string) => void): Promise<void> {
  const tokens = tokenize(reply.answer, tokensPerReply);
  return new Promise((resolve) => {
    const startedAt = performance.now();
    let sent = 0;
    const tick = (): void => {
      const due = Math.min(tokens.length, Math.floor(((performance.now() - startedAt) / 1000) * tokensPerSecond) + 1);
      while (sent < due) {
        const now = performance.now();
        if (sent === 0) reply.firstDeltaAt = now;
        append(tokens[sent] ?? '');
        sent += 1;
        if (sent === tokens.length) reply.lastDeltaAt = now;
      }
      if (sent < tokens.length) setTimeout(tick, 5);
      else resolve();
    };
    tick();
  });
}

function tokenize(text: string, count: number): string[] {
  const tokens: string[] = [];
  let start = 0;
  for (let index = 1; index <= count; index += 1) {
    let end = Math.round((index * text.length) / count);
    const code = text.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end += 1; // never split a surrogate pair
    tokens.push(text.slice(start, end));
    start = end;
  }
  return tokens.filter((token) => token !== '');
}

/** About 1,800 characters of Markdown (4.5 characters a token), with a code block. */
function answerText(seed: number): string {
  const words = ['Groq', 'streams', 'tokens', 'quickly', 'and', 'the', 'bot', 'edits', 'its', 'reply', 'within', 'budget', 'so', 'nobody', 'waits'];
  let state = seed + 1;
  const word = (): string => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return words[state % words.length] ?? 'word';
  };
  let text = '';
  while (text.length < 1_400) {
    const sentence = Array.from({ length: 12 }, word).join(' ');
    text += `${sentence}. ${text.length % 3 === 0 ? '\n\n' : ''}`;
  }
  text += '\n\n```ts\nconst reply = await renderer.start(target);\nreply.append(delta);\nawait reply.complete();\n```\n\n';
  while (text.length < 1_800) text += `${word()} `;
  return `${text.trimEnd()}.`;
}

/** Edits allowed in a scope between its first and last call. */
function allowedCalls(scope: FakeScope): number {
  const first = scope.calls[0];
  const last = scope.calls.at(-1);
  if (first === undefined || last === undefined) return 0;
  return scope.capacity + ((last.startedAt - first.startedAt) / 1000) * scope.refillPerSecond;
}

/** The parts joined, minus fence lines added at cuts, equal the answer. */
function isExact(parts: readonly string[], answer: string): boolean {
  let joined = '';
  for (const [index, part] of parts.entries()) {
    let text = part;
    const newline = text.indexOf('\n');
    if (index > 0 && /^(`{3,}|~{3,})/.test(text) && !answer.startsWith(text.slice(0, newline + 1), joined.length)) text = text.slice(newline + 1);
    if (!answer.startsWith(text, joined.length)) text = text.replace(/\n?(`{3,}|~{3,})$/, '');
    joined += text;
  }
  return joined === answer;
}

function printResult(result: Result): void {
  console.log(`\n  ${result.name} (${(result.wallMs / 1000).toFixed(1)} s, event-loop delay p99 ${result.loopDelayP99Ms.toFixed(1)} ms, peak RSS ${result.peakRssMb.toFixed(0)} MB)`);
  console.log('    platform  first delta→first text p50/p99   last delta→final p50/p99   calls/reply p50/max   lost finals   429s   budget use');
  for (const row of result.rows) {
    console.log(
      `    ${row.platform.padEnd(8)}  ${formatPair(row.firstVisible).padEnd(33)}  ${formatPair(row.finalVisible).padEnd(25)}  ${`${percentile(row.callsPerReply, 50)}/${Math.max(...row.callsPerReply)}`.padEnd(20)}  ${String(row.lost).padEnd(12)}  ${String(row.rateLimited).padEnd(5)}  ${(row.budgetUse * 100).toFixed(0)}%`,
    );
  }
}

function formatPair(values: readonly number[]): string {
  if (values.length === 0) return 'n/a';
  return `${formatMs(percentile(values, 50))} / ${formatMs(percentile(values, 99))}`;
}

function formatMs(value: number): string {
  return value >= 1_000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
}

function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((share / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * The baseline several popular bots use: post on the first delta, then an edit with the whole
 * text on every delta, sent one after another with no budget, a 429 waited out and retried
 * (as discord.js's queue does); no splitting, the text cut at the limit.
 */
class NaiveReply {
  private text = '';
  private readonly queue: string[] = [];
  private ref: PostedMessageRef | undefined;
  private worker: Promise<void> | undefined;

  constructor(
    private readonly target: ReplyTarget,
    private readonly deadline: number,
  ) {}

  append(delta: string): void {
    this.text += delta;
    this.enqueue(this.text + marker);
  }

  async complete(): Promise<void> {
    this.enqueue(this.text);
    await this.worker;
  }

  private enqueue(text: string): void {
    this.queue.push(text.slice(0, this.target.maxLength));
    this.worker ??= this.work();
  }

  private async work(): Promise<void> {
    while (this.queue.length > 0 && performance.now() < this.deadline) {
      const text = this.queue.shift() ?? '';
      for (;;) {
        if (performance.now() >= this.deadline) return;
        try {
          if (this.ref === undefined) this.ref = await this.target.post(text);
          else await this.target.edit(this.ref, text);
          break;
        } catch (error) {
          const retryAfterMs = error instanceof PlatformError ? (error.retryAfterMs ?? 1_000) : 1_000;
          await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfterMs, Math.max(0, this.deadline - performance.now()))));
        }
      }
    }
    this.worker = undefined;
  }
}
