import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Platform } from '../src/platform.js';
import { fakeIds, fakeUsers, startFakeDiscord, type FakeDiscord } from '../test/fakes/fake-discord.js';
import { fakeGroqDefaults, startFakeGroq, type FakeGroq } from '../test/fakes/fake-groq.js';
import { deliverEvent, fakeSlackIds, startFakeSlack, type Delivery, type FakeSlack } from '../test/fakes/fake-slack.js';
import { preciseNow } from '../test/fakes/precise-clock.js';
import { isolateFakes } from './end-to-end-isolation.js';
import { lastUserContent, measureReply, percentile, scopeUse, totalUse, type ReplyMeasure, type ScopeUse, type SentConversation } from './end-to-end-measure.js';
import { discordChannelIds, planConversations, seedHistories, slackChannelIds, type PlanOptions, type PlannedConversation } from './end-to-end-plan.js';
import { startServiceProcess, type ServiceProcess, type ThreadSchedule } from './end-to-end-process.js';
import { StallRecorder } from './end-to-end-stalls.js';
import { hostStealMs } from './host-steal.js';

/**
 * The whole service, as `npm start` runs it (a child process, so its CPU and memory are its own),
 * against the fake Slack (HTTP mode, signed deliveries), the fake Discord (the real discord.js client
 * on its gateway) and the fake Groq, with the platforms' default budgets: 50 conversations, each
 * with 200 stored messages, asked at once (events 10 ms apart) and answered with 400 tokens, in a
 * round at 500 tokens/s and one at 1,000 tokens/s. Each round measures two such bursts, with
 * conversations of their own: the first right after start-up (and one warm-up reply per platform),
 * the second after 30 s without messages, as most bursts meet a service that has been idle.
 *
 * Event → Groq request, the target, is the service's own figure from its per-reply log lines: from
 * the moment the event reached the service (Slack: its HTTP request arrived; Discord: its gateway
 * packet) to the moment the request's last byte was written to its connection. The outside view
 * beside it is taken in this process: from just before the fake sends the Slack delivery or the
 * Discord dispatch to when the fake Groq has the whole request body, so it adds the fakes' own
 * sending and receiving. Every other time is taken in this process (which hosts the fakes) on one
 * clock, preciseNow(): first/last delta = when the fake Groq writes the first/last content chunk;
 * first text / final text = when the platform fake stores the first version starting with the
 * answer / the final version. Budget use = calls sent in each contended
 * scope (Slack's workspace chat.update, each Discord channel; 429s included) ÷ burst + refill
 * between the scope's first and last call. CPU and peak RSS are the service process's own, from
 * /proc. A busy machine shows in every figure: the load average is printed with each round.
 *
 * The fakes stand for Slack, Discord and Groq, which in production run elsewhere. Here they share
 * two cores with the service and took about 0.65 of a core during a burst; the rounds therefore
 * run in a process of their own at a lower CPU priority than the service's (Linux autogroup nice
 * 10, see end-to-end-isolation.ts). GROQBOT_BENCH_EQUAL_PRIORITY=1 gives both the same priority,
 * as before; the line under the title says which applied.
 */

const load: PlanOptions = {
  slackConversations: 25,
  slackChannels: 5,
  discordConversations: 25,
  discordChannels: 5,
  historyMessages: 200,
  answerTokens: Number(process.env.GROQBOT_BENCH_ANSWER_TOKENS ?? '') || 400,
};
const roundsTokensPerSecond = [500, 1_000];
/** GROQBOT_BENCH_EVENT_SPACING_MS overrides it (to see the latencies without the burst); GROQBOT_BENCH_ANSWER_TOKENS the answers' length. */
const eventSpacingMs = Number(process.env.GROQBOT_BENCH_EVENT_SPACING_MS ?? '') || 10;
const model = 'openai/gpt-oss-120b';
const platformLimits: Record<Platform, number> = { slack: 3_500, discord: 2_000 };
/** The service's default budgets (adapters/slack/slack-reply-target.ts, adapters/discord/reply-scopes.ts). */
const budgets = {
  slackUpdate: { capacity: 20, refillPerSecond: 50 / 60 },
  slackPost: { capacity: 3, refillPerSecond: 1 },
  discordChannel: { capacity: 5, refillPerSecond: 1 },
};
/**
 * The fake Groq reports the free plan's 8K tokens per minute by default, and the service rightly fits
 * prompts under it (about 88 of the 200 messages); a paid plan's limit lets the whole history through.
 */
const paidPlanHeaders = { 'x-ratelimit-limit-tokens': '250000', 'x-ratelimit-remaining-tokens': '240000' };
const targets = { eventToRequestP99Ms: 10, lastDeltaToFinalP50Ms: 1_500, budgetUse: 0.9 };

/** Runs both rounds and prints their figures (in a process of their own, see end-to-end-isolation.ts). */
export async function run(): Promise<void> {
  const isolation = await isolateFakes();
  if (isolation.done) return;
  console.log('end-to-end: the service process against fake Slack, Discord and Groq, default rate limits');
  console.log(
    `  ${load.slackConversations} Slack threads (one workspace, ${load.slackChannels} channels) + ${load.discordConversations} Discord reply chains (${load.discordChannels} channels);` +
      ` ${load.historyMessages} stored messages each; ${load.answerTokens}-token answers; events ${eventSpacingMs} ms apart;` +
      ` per round, one warm-up reply per platform, a burst, ${quietSpellMs / 1000} s without messages, and a burst of other conversations`,
  );
  console.log(`  ${isolation.description}`);
  console.log("  clocks: event → Groq request on the service's own clock (its log lines); every other time in this (bench) process, which hosts all the fakes, with performance.timeOrigin + performance.now()");
  for (const tokensPerSecond of roundsTokensPerSecond) {
    const result = await runRound(tokensPerSecond);
    printRound(result);
  }
}

interface RoundResult {
  tokensPerSecond: number;
  seedMs: number;
  /** Event → Groq request of the lone warm-up messages (nothing else running, but the first after start). */
  warmUpMs: { slack: number; discord: number };
  bursts: BurstResult[];
  peakRssMb: number;
  outcomes: Record<string, number>;
  exitCode: number | null;
}

/** One measured burst of a round: fifty conversations asked at once. */
interface BurstResult {
  /** Which burst this is, as printed. */
  title: string;
  measures: ReplyMeasure[];
  missingReplies: number;
  rateLimited: { slack: number; discord: number };
  contended: ScopeUse[];
  slackPosts: ScopeUse[];
  cpuMs: number;
  wallMs: number;
  /** How late each event left against its schedule, and how long after the one before (NaN for the first). */
  sending: { lateMs: number[]; gapsMs: number[] };
  /** Event-loop delay of this process (all the fakes) during the burst: how late the fakes' own clocks may run. */
  benchLoopDelayMs: { p50: number; p99: number; max: number };
  loadAverage: [number, number];
  /** CPU time the hypervisor took from this machine while the events were sent, and during the whole burst (undefined off Linux). */
  stealMs: { events: number; burst: number } | undefined;
  /** CPU this process (the fakes and the bench) used during the burst. */
  benchCpuMs: number;
  /** How long the service's event-loop thread waited for a CPU during the burst, and how often it was preempted. */
  loopThreadWait: ThreadSchedule;
  /** For each Discord 429: when, and how far apart the channel's calls before it arrived. */
  discordRateLimits: string[];
  /** The service's own event → Groq request (event reached the service → request sent), from its per-reply log lines; `position` counts from 1 in sending order. */
  serviceEventToRequestMs: Array<{ platform: string; ms: number; position: number }>;
  /** Slack: event sent → the service's HTTP 200 (Bolt acks before handling). */
  slackAckMs: number[];
  deliveryFailures: number;
}

/** Everything a burst talks to. */
interface RoundRig {
  service: ServiceProcess;
  eventsUrl: string;
  groq: FakeGroq;
  slack: FakeSlack;
  discord: FakeDiscord;
}

/**
 * The service's bursts come after start-up and after quiet spells. This one is longer than V8's
 * memory reducer waits (8 s) before it shrinks an idle heap, young generation included, and than
 * the platforms' budgets take to refill (Slack's 20 edits at 50 a minute: 24 s).
 */
const quietSpellMs = 30_000;
const burstTitles = ['first burst, right after start-up', `second burst, after ${quietSpellMs / 1000} s without messages`];

async function runRound(tokensPerSecond: number): Promise<RoundResult> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'groqbot-bench-'));
  // Ctrl-C exits from a signal handler (end-to-end-process.ts), past the `finally` below.
  const removeDirectory = (): void => rmSync(directory, { recursive: true, force: true });
  process.once('exit', removeDirectory);
  const databasePath = path.join(directory, 'bench.db');
  const plans = burstTitles.map((_, burst) => planConversations(load, burst));
  const seedStartedAt = preciseNow();
  seedHistories(databasePath, plans.flat(), model);
  const seedMs = preciseNow() - seedStartedAt;

  const [groq, slack, discord] = await Promise.all([
    startFakeGroq(),
    startFakeSlack(),
    startFakeDiscord({ extraChannels: discordChannelIds(load.discordChannels).map((id, index) => ({ id, name: `bench-${index}` })) }),
  ]);
  const answers = new Map(plans.flat().map((conversation) => [conversation.question, conversation.answer]));
  groq.setFallback((request) => {
    const question = lastUserContent(request);
    return { kind: 'text', text: answers.get(question) ?? `You said: ${question}`, tokensPerSecond, headers: paidPlanHeaders };
  });
  let service: ServiceProcess | undefined;
  try {
    service = await startServiceProcess(serviceEnvironment(databasePath, groq, slack, discord), directory, { nodeArguments: serviceNodeArguments() });
    const rig: RoundRig = { service, eventsUrl: `http://127.0.0.1:${service.port}/slack/events`, groq, slack, discord };
    const warmUpMs = await warmUp(service, rig.eventsUrl, discord, groq);
    const bursts: BurstResult[] = [];
    for (const [burst, plan] of plans.entries()) {
      if (burst > 0) await new Promise((resolve) => setTimeout(resolve, quietSpellMs));
      bursts.push(await runBurst(rig, plan, burstTitles[burst] ?? `burst ${burst + 1}`, 2 + plans.slice(0, burst + 1).flat().length));
    }
    const outcomes: Record<string, number> = {};
    for (const line of service.logs) {
      if (line.msg !== 'reply finished') continue;
      const outcome = String(line.outcome);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    const peakRssMb = service.peakRssMb();
    const exitCode = await service.stop();
    service = undefined;
    return { tokensPerSecond, seedMs, warmUpMs, bursts, peakRssMb, outcomes, exitCode };
  } finally {
    await service?.stop();
    await Promise.all([groq.close(), slack.close(), discord.close()]);
    process.off('exit', removeDirectory);
    removeDirectory();
  }
}

/** Sends one plan's events on schedule, waits until the service has finished `repliesBy` replies in all (this burst's and those before), and measures. */
async function runBurst(rig: RoundRig, plan: PlannedConversation[], title: string, repliesBy: number): Promise<BurstResult> {
  const { service, eventsUrl, groq, slack, discord } = rig;
  const loadBefore = os.loadavg()[0] as number;
  const stealBefore = hostStealMs();
  const benchCpuBefore = process.cpuUsage();
  const slackRateLimitedBefore = slack.rateLimitedCount;
  const discordRateLimitedBefore = discord.rateLimitedCalls.length;
  const burstStartedAt = Date.now();
  const cpuBefore = service.cpuMs();
  const scheduleBefore = service.loopThreadSchedule();
  const benchLoop = monitorEventLoopDelay({ resolution: 1 });
  benchLoop.enable();
  const benchStalls = new StallRecorder();
  benchStalls.start();
  const sent = await sendEvents(plan, eventsUrl, discord);
  const stealAfterEvents = hostStealMs();
  const deliveries = await Promise.all(sent.map((entry) => entry.delivery));
  await service.waitForLog('reply finished', repliesBy, 120_000);
  benchLoop.disable();
  benchStalls.stop();
  const cpuAfter = service.cpuMs();
  const scheduleAfter = service.loopThreadSchedule();
  const benchCpu = process.cpuUsage(benchCpuBefore);

  const measures = sent.map(({ conversation }) => measureReply(conversation, { groq, slack, discord }, platformLimits));
  const firstEventAt = Math.min(...sent.map(({ conversation }) => conversation.eventAt));
  const lastFinalAt = Math.max(...measures.map((measure, index) => measure.lastDeltaToFinalMs + (lastContentAt(groq, sent[index]!.conversation) ?? Number.NaN)));
  const positions = new Map(sent.map(({ conversation }, index) => [`${conversation.channelId}:${conversation.threadKey}`, index + 1]));
  const serviceEventToRequestMs: BurstResult['serviceEventToRequestMs'] = [];
  for (const line of service.logs) {
    if (line.msg !== 'reply finished' || typeof line.conversation !== 'string' || typeof line.eventToRequestMs !== 'number') continue;
    // platform:workspace:channel:thread; the warm-up replies and other bursts are not this burst's.
    const [platform = '', , channelId = '', threadKey = ''] = line.conversation.split(':');
    const position = positions.get(`${channelId}:${threadKey}`);
    if (position !== undefined) serviceEventToRequestMs.push({ platform, ms: line.eventToRequestMs, position });
  }
  return {
    title,
    measures,
    missingReplies: measures.filter((measure) => measure.parts === 0).length,
    rateLimited: { slack: slack.rateLimitedCount - slackRateLimitedBefore, discord: discord.rateLimitedCalls.length - discordRateLimitedBefore },
    contended: contendedScopes(slack, discord, burstStartedAt),
    slackPosts: slackPostScopes(slack, burstStartedAt),
    cpuMs: (cpuAfter - cpuBefore) / plan.length,
    wallMs: lastFinalAt - firstEventAt,
    sending: {
      lateMs: sent.map(({ conversation }) => conversation.eventAt - conversation.dueAt),
      gapsMs: sent.map((entry, index) => (index > 0 ? entry.conversation.eventAt - sent[index - 1]!.conversation.eventAt : Number.NaN)),
    },
    benchLoopDelayMs: { p50: benchLoop.percentile(50) / 1e6, p99: benchLoop.percentile(99) / 1e6, max: benchLoop.max / 1e6 },
    loadAverage: [loadBefore, os.loadavg()[0] as number],
    stealMs:
      stealBefore === undefined || stealAfterEvents === undefined
        ? undefined
        : { events: stealAfterEvents - stealBefore, burst: (hostStealMs() ?? stealAfterEvents) - stealBefore },
    benchCpuMs: (benchCpu.user + benchCpu.system) / 1000,
    loopThreadWait: { waitedMs: scheduleAfter.waitedMs - scheduleBefore.waitedMs, preemptions: scheduleAfter.preemptions - scheduleBefore.preemptions },
    discordRateLimits: discordRateLimitDetails(discord, burstStartedAt, benchStalls),
    serviceEventToRequestMs,
    slackAckMs: sent.filter(({ conversation }) => conversation.ackedAt !== undefined).map(({ conversation }) => (conversation.ackedAt as number) - conversation.eventAt),
    deliveryFailures: deliveries.filter((delivery) => delivery !== undefined && delivery.status !== 200).length,
  };
}

function lastContentAt(groq: FakeGroq, conversation: SentConversation): number | undefined {
  return groq.requests.find((request) => lastUserContent(request) === conversation.question)?.lastContentAt;
}

/** GROQBOT_BENCH_NODE_ARGS (space-separated) go to the service's node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles`. */
function serviceNodeArguments(): string[] {
  return (process.env.GROQBOT_BENCH_NODE_ARGS ?? '').split(' ').filter((argument) => argument !== '');
}

function serviceEnvironment(databasePath: string, groq: FakeGroq, slack: FakeSlack, discord: FakeDiscord): Record<string, string> {
  return {
    GROQ_API_KEY: fakeGroqDefaults.apiKey,
    // Passed through to compare settings; unset, the service's default applies.
    ...(process.env.GROQ_WARM_CONNECTIONS ? { GROQ_WARM_CONNECTIONS: process.env.GROQ_WARM_CONNECTIONS } : {}),
    GROQ_BASE_URL: groq.baseUrl,
    GROQ_MODEL: model,
    PORT: '0',
    DATABASE_PATH: databasePath,
    LOG_LEVEL: 'info',
    SLACK_BOT_TOKEN: fakeSlackIds.botToken,
    SLACK_SIGNING_SECRET: fakeSlackIds.signingSecret,
    SLACK_API_URL: slack.apiUrl,
    DISCORD_BOT_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
  };
}

let eventSequence = 0;

/** An `app_mention` inside an existing thread, shaped like Slack's Events API body. */
function slackMention(channel: string, threadTs: string | undefined, text: string): { body: Record<string, unknown>; ts: string } {
  eventSequence += 1;
  const ts = `${1_764_500_000 + eventSequence}.000100`;
  const event: Record<string, unknown> = {
    type: 'app_mention',
    user: 'U0ADA00001',
    text: `<@${fakeSlackIds.botUserId}> ${text}`,
    ts,
    team: fakeSlackIds.teamId,
    channel,
    event_ts: ts,
    ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
  };
  const body = {
    token: 'bench-verification-token',
    team_id: fakeSlackIds.teamId,
    api_app_id: fakeSlackIds.appId,
    event,
    type: 'event_callback',
    event_id: `Ev0BENCH${String(eventSequence).padStart(6, '0')}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: fakeSlackIds.teamId, user_id: fakeSlackIds.botUserId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
  return { body, ts };
}

const warmUpSlackChannel = 'C0WARMUP01';

/** One reply per platform outside the measured channels, then time for the shared Slack edit budget to refill. */
async function warmUp(service: ServiceProcess, eventsUrl: string, discord: FakeDiscord, groq: FakeGroq): Promise<{ slack: number; discord: number }> {
  const mention = slackMention(warmUpSlackChannel, undefined, 'warm up on Slack');
  const slackAt = preciseNow();
  const delivery = await deliverEvent(eventsUrl, mention.body, { signingSecret: fakeSlackIds.signingSecret });
  if (delivery.status !== 200) throw new Error(`warm-up delivery answered ${delivery.status}`);
  await service.waitForLog('reply finished', 1, 30_000);
  const discordAt = preciseNow();
  discord.sendMessage({ channelId: fakeIds.general, content: `<@${discord.botUserId}> warm up on Discord`, author: fakeUsers.ada });
  await service.waitForLog('reply finished', 2, 30_000);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const arrival = (question: string) => groq.requests.find((request) => lastUserContent(request) === question)?.arrivedAt ?? Number.NaN;
  return { slack: arrival('warm up on Slack') - slackAt, discord: arrival('warm up on Discord') - discordAt };
}

/** Delivers every conversation's event on a fixed schedule, platforms interleaved. */
async function sendEvents(
  plan: PlannedConversation[],
  eventsUrl: string,
  discord: FakeDiscord,
): Promise<Array<{ conversation: SentConversation; delivery: Promise<Delivery> | undefined }>> {
  const slack = plan.filter((conversation) => conversation.platform === 'slack');
  const discordPlan = plan.filter((conversation) => conversation.platform === 'discord');
  const order: PlannedConversation[] = [];
  for (let index = 0; index < Math.max(slack.length, discordPlan.length); index += 1) {
    if (slack[index]) order.push(slack[index]!);
    if (discordPlan[index]) order.push(discordPlan[index]!);
  }
  const sent: Array<{ conversation: SentConversation; delivery: Promise<Delivery> | undefined }> = [];
  const startedAt = preciseNow();
  for (const [index, conversation] of order.entries()) {
    const due = startedAt + index * eventSpacingMs;
    const wait = due - preciseNow();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (conversation.platform === 'slack') {
      const mention = slackMention(conversation.channelId, conversation.threadKey, conversation.question);
      const eventAt = preciseNow();
      const entry: SentConversation = { ...conversation, eventAt, dueAt: due, questionMessageId: mention.ts };
      const delivery = deliverEvent(eventsUrl, mention.body, { signingSecret: fakeSlackIds.signingSecret }).then((answer) => {
        entry.ackedAt = preciseNow();
        return answer;
      });
      sent.push({ conversation: entry, delivery });
    } else {
      const eventAt = preciseNow();
      const id = discord.sendMessage({
        channelId: conversation.channelId,
        content: `<@${discord.botUserId}> ${conversation.question}`,
        author: fakeUsers.ada,
        replyTo: conversation.replyToMessageId,
      });
      sent.push({ conversation: { ...conversation, eventAt, dueAt: due, questionMessageId: id }, delivery: undefined });
    }
  }
  return sent;
}

/** The scopes replies compete for: the workspace's chat.update budget and each Discord channel's. */
function contendedScopes(slack: FakeSlack, discord: FakeDiscord, since: number): ScopeUse[] {
  const updates = slack.callsTo('chat.update').filter((call) => call.at >= since);
  const scopes = [scopeUse('slack chat.update (workspace)', updates.map((call) => call.at), budgets.slackUpdate.capacity, budgets.slackUpdate.refillPerSecond)];
  for (const channelId of discordChannelIds(load.discordChannels)) {
    const route = new RegExp(`^/channels/${channelId}/messages(/\\d+)?$`);
    const calls = discord.calls.filter((call) => call.at >= since && (call.method === 'POST' || call.method === 'PATCH') && route.test(call.path));
    scopes.push(scopeUse(`discord channel ${channelId}`, calls.map((call) => call.at), budgets.discordChannel.capacity, budgets.discordChannel.refillPerSecond));
  }
  return scopes;
}

/** Each Discord 429 of the round, with the arrival gaps of the calls before it in its channel (the fake's bucket is 5 per 5 s). */
function discordRateLimitDetails(discord: FakeDiscord, since: number, benchStalls: StallRecorder): string[] {
  const calls = discord.calls.filter((call) => call.at >= since && (call.method === 'POST' || call.method === 'PATCH') && /^\/channels\/\d+\/messages/.test(call.path));
  return calls
    .filter((call) => call.status === 429)
    .map((limited) => {
      const channel = limited.path.split('/')[2] ?? '';
      const before = calls.filter((call) => call.path.split('/')[2] === channel && call.at <= limited.at);
      const gaps = before.slice(-7).map((call, index, list) => (index === 0 ? 0 : call.at - (list[index - 1] as typeof call).at)).slice(1);
      // The fake stamps arrivals when this process gets to them: a stall here bunches them up.
      const stall = benchStalls.before(limited.at, 300);
      const note = stall === undefined ? 'no stall of this process in the 300 ms before' : `this process stalled ${stall.lateMs.toFixed(0)} ms, ending ${(limited.at - stall.at).toFixed(0)} ms before`;
      return `discord 429 at +${((limited.at - since) / 1000).toFixed(2)} s in channel …${channel.slice(-3)}: gaps between its last calls ${gaps.join(', ')} ms; ${note}`;
    });
}

/** Slack posts, per channel (about one per second, bursts of 3): not contended beyond the first posts. */
function slackPostScopes(slack: FakeSlack, since: number): ScopeUse[] {
  return slackChannelIds(load.slackChannels).map((channelId) => {
    const posts = slack.callsTo('chat.postMessage').filter((call) => call.at >= since && call.body.channel === channelId);
    return scopeUse(`slack chat.postMessage ${channelId}`, posts.map((call) => call.at), budgets.slackPost.capacity, budgets.slackPost.refillPerSecond);
  });
}

// ---- printing ---------------------------------------------------------------------------------

function formatMs(value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (Math.abs(value) >= 1_000) return `${(value / 1000).toFixed(2)} s`;
  return Math.abs(value) >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

function pair(values: number[]): string {
  return `p50 ${formatMs(percentile(values, 50))}, p99 ${formatMs(percentile(values, 99))}`;
}

function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'FAIL';
}

function byPlatform<T extends { platform: string }>(items: T[], pick: (item: T) => number): string {
  return (['slack', 'discord'] as const)
    .map((platform) => `${platform} ${pair(items.filter((item) => item.platform === platform).map(pick))}`)
    .join('; ');
}

const line = (label: string, text: string) => console.log(`    ${label.padEnd(30)} ${text}`);

function printRound(round: RoundResult): void {
  const conversations = round.bursts.reduce((sum, burst) => sum + burst.measures.length, 0);
  console.log(`\n  round: fake Groq at ${round.tokensPerSecond} tokens/s (seeding ${load.historyMessages * conversations} messages took ${(round.seedMs / 1000).toFixed(1)} s)`);
  line('warm-up events', `(alone, first of their platform after start, cold): slack ${formatMs(round.warmUpMs.slack)}, discord ${formatMs(round.warmUpMs.discord)}`);
  for (const burst of round.bursts) printBurst(burst);
  // With 50 events a burst's p99 by nearest rank is its slowest event; over the round's bursts it is a percentile proper.
  const pooled = round.bursts.flatMap((burst) => burst.serviceEventToRequestMs.map((entry) => entry.ms));
  line('event → Groq request', `the round's ${pooled.length} events together: ${pair(pooled)}; slowest ${formatMs(Math.max(...pooled))}`);
  line('peak RSS', `${round.peakRssMb.toFixed(0)} MB (service process, VmHWM, start-up included)`);
  line(
    'service',
    `outcomes ${Object.entries(round.outcomes).map(([outcome, count]) => `${outcome} ${count}`).join(', ')} (warm-up included); exit code ${round.exitCode}`,
  );
}

/** " +x ms" since the event before it left, for the burst's event at `position` (from 1); empty for the first. */
function gapAfter(burst: BurstResult, position: number): string {
  const gap = burst.sending.gapsMs[position - 1];
  return gap === undefined || Number.isNaN(gap) ? '' : ` +${gap.toFixed(1)}`;
}

function printBurst(burst: BurstResult): void {
  const { measures } = burst;
  console.log(`   ${burst.title}: ${measures.length} conversations`);
  const promptSizes = measures.map((measure) => measure.promptMessages);
  const bytes = measures.map((measure) => measure.requestBytes);
  const requestCounts = measures.map((measure) => measure.requests);
  line(
    'Groq requests',
    `${requestCounts.filter((count) => count === 1).length}/${measures.length} questions asked exactly once; prompts of ${Math.min(...promptSizes)}–${Math.max(...promptSizes)} messages, ${(Math.min(...bytes) / 1024).toFixed(0)}–${(Math.max(...bytes) / 1024).toFixed(0)} KB; answers ${Math.min(...measures.map((measure) => measure.answerChars))}–${Math.max(...measures.map((measure) => measure.answerChars))} chars`,
  );
  const inService = burst.serviceEventToRequestMs;
  line(
    'event → Groq request',
    `${pair(inService.map((entry) => entry.ms))}  (target p99 ≤ ${targets.eventToRequestP99Ms} ms: ${verdict(percentile(inService.map((entry) => entry.ms), 99) <= targets.eventToRequestP99Ms)})`,
  );
  const slowest = [...inService].sort((a, b) => b.ms - a.ms).slice(0, 5);
  line('', `${byPlatform(inService, (entry) => entry.ms)}; slowest ${slowest.map((entry) => `${formatMs(entry.ms)} (#${entry.position}${gapAfter(burst, entry.position)})`).join(', ')}`);
  line('', "  (the service's clock: the event reached it → the request's last byte written to its connection; per-reply log lines; #n: the burst's nth event, +x: sent x ms after the one before)");
  const outside = measures.map((measure) => measure.eventToRequestMs);
  line('', `outside view ${pair(outside)}; ${byPlatform(measures, (measure) => measure.eventToRequestMs)}`);
  line('', "  (the fakes' clocks: the fake starts sending → the fake Groq has the whole body; adds the fakes' own work in this busy process)");
  line('', `slack event → HTTP 200 from the service ${pair(burst.slackAckMs)}; bench-process event-loop delay p50 ${formatMs(burst.benchLoopDelayMs.p50)}, p99 ${formatMs(burst.benchLoopDelayMs.p99)}, max ${formatMs(burst.benchLoopDelayMs.max)}`);
  line('', `events sent ${eventSpacingMs} ms apart: late by ${pair(burst.sending.lateMs)}; ${burst.sending.gapsMs.filter((gap) => gap < 2).length} of ${burst.sending.lateMs.length - 1} within 2 ms of the one before (arriving together)`);
  line('first delta → first text', pair(measures.map((measure) => measure.firstDeltaToFirstTextMs)));
  line('', byPlatform(measures, (measure) => measure.firstDeltaToFirstTextMs));
  const lastToFinal = measures.map((measure) => measure.lastDeltaToFinalMs);
  line('last delta → final text', `${pair(lastToFinal)}  (target p50 ≤ ${formatMs(targets.lastDeltaToFinalP50Ms)}: ${verdict(percentile(lastToFinal, 50) <= targets.lastDeltaToFinalP50Ms)})`);
  line('', byPlatform(measures, (measure) => measure.lastDeltaToFinalMs));
  const edits = (platform: Platform) => measures.filter((measure) => measure.platform === platform).map((measure) => measure.edits);
  line(
    'edits per reply',
    (['slack', 'discord'] as const).map((platform) => `${platform} p50 ${percentile(edits(platform), 50)}, max ${Math.max(...edits(platform))}`).join('; ') +
      `  (parts per reply: max ${Math.max(...measures.map((measure) => measure.parts))})`,
  );
  const rateLimited = burst.rateLimited.slack + burst.rateLimited.discord;
  line('429s', `${rateLimited} (Slack ${burst.rateLimited.slack}, Discord ${burst.rateLimited.discord})  (target 0: ${verdict(rateLimited === 0)})`);
  for (const detail of burst.discordRateLimits) line('', detail);
  const inexact = measures.filter((measure) => !measure.exact).length;
  line(
    'inexact final texts',
    `${inexact} of ${measures.length}${burst.missingReplies > 0 ? ` (${burst.missingReplies} with no reply at all)` : ''}  (target 0: ${verdict(inexact === 0)})`,
  );
  for (const platform of ['slack', 'discord'] as const) {
    const example = measures.find((measure) => measure.platform === platform && measure.mismatch !== undefined);
    if (example) line('', `e.g. ${example.tag}: ${example.mismatch}`);
  }
  const contended = totalUse(burst.contended);
  const slackUpdate = burst.contended[0]!;
  const discordTotal = totalUse(burst.contended.slice(1));
  const posts = totalUse(burst.slackPosts);
  line(
    'budget use',
    `${(contended.share * 100).toFixed(0)}%: ${contended.sent} sent / ${contended.allowed.toFixed(1)} allowed  (target ≥ ${targets.budgetUse * 100}%: ${verdict(contended.share >= targets.budgetUse)})`,
  );
  line('', `slack chat.update ${slackUpdate.sent}/${slackUpdate.allowed.toFixed(1)} (${((slackUpdate.sent / slackUpdate.allowed) * 100).toFixed(0)}%); discord channels ${discordTotal.sent}/${discordTotal.allowed.toFixed(1)} (${(discordTotal.share * 100).toFixed(0)}%)`);
  line('', `(not in the target: slack chat.postMessage per channel ${posts.sent}/${posts.allowed.toFixed(1)}, ${(posts.share * 100).toFixed(0)}%)`);
  line('CPU per reply', `${burst.cpuMs.toFixed(1)} ms (service process user+system during the burst ÷ ${measures.length})`);
  line('wall', `${formatMs(burst.wallMs)} from the first event to the last final text`);
  line('machine', `load average ${burst.loadAverage[0].toFixed(1)} → ${burst.loadAverage[1].toFixed(1)} on ${os.availableParallelism()} cores; this process (fakes) used ${(burst.benchCpuMs / 1000).toFixed(1)} s CPU during the burst`);
  if (burst.stealMs !== undefined) {
    line('', `hypervisor steal ${burst.stealMs.events.toFixed(0)} ms while the events were sent, ${burst.stealMs.burst.toFixed(0)} ms in the whole burst (CPU time this virtual machine wanted and the host gave to others; the service sees it as slow code)`);
  }
  line('', `Slack deliveries refused ${burst.deliveryFailures}`);
  line(
    'service loop thread',
    `waited ${burst.loopThreadWait.waitedMs.toFixed(0)} ms for a CPU, preempted ${burst.loopThreadWait.preemptions} times during the burst (each wait lands on whatever it was doing, an event included)`,
  );
}
