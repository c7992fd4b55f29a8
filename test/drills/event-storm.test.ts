import { temporaryDatabase } from '../temporary-database.js';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeIds, startFakeDiscord, type FakeDiscord } from '../fakes/fake-discord.js';
import { fakeGroqDefaults, startFakeGroq } from '../fakes/fake-groq.js';
import { deliverEvent, fakeSlackIds, startFakeSlack, type FakeSlack } from '../fakes/fake-slack.js';
import { eventFrom, mentionEvent, type EventBody } from '../slack/slack-payloads.js';
import { threadReplies } from './drill-environment.js';
import { eventually, startServiceProcess, type ServiceProcess } from './service-process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One planned delivery: a unique message or a duplicate of one. */
type Delivery =
  | { platform: 'slack'; body: EventBody; retryNum?: number; unique: boolean }
  | { platform: 'discord'; content: string; duplicateOf?: number; unique: boolean };

const uniquePerPlatform = 67;

function plan(): Delivery[] {
  const deliveries: Delivery[] = [];
  for (let index = 0; index < uniquePerPlatform; index += 1) {
    const channel = `C0STORM${String(index % 20).padStart(3, '0')}`;
    const body = mentionEvent(`slack question ${index}`, { channel });
    deliveries.push({ platform: 'slack', body, unique: true });
    // A third of all events are duplicates: Slack retries of the same delivery, the same
    // mention delivered again as a `message` event, and Discord dispatching a message twice.
    if (index % 3 === 0) deliveries.push({ platform: 'slack', body, retryNum: 1, unique: false });
    else if (index % 3 === 1 && index < 28) {
      const copy = eventFrom('message-channel-same-ts', { channel, ts: body.event.ts, event_ts: body.event.ts, text: body.event.text });
      deliveries.push({ platform: 'slack', body: copy, unique: false });
    }
    deliveries.push({ platform: 'discord', content: `<@${fakeIds.bot}> discord question ${index}`, unique: true });
    if (index % 2 === 0) deliveries.push({ platform: 'discord', content: '', duplicateOf: index, unique: false });
  }
  return deliveries;
}

describe('event storm across both platforms with a restart', () => {
  it('answers every unique message exactly once, none lost', async () => {
    const groq = await startFakeGroq();
    const slack: FakeSlack = await startFakeSlack({ updateBudget: false });
    const discord: FakeDiscord = await startFakeDiscord({ rateLimit: { limit: 10_000, windowMs: 1_000 } });
    const folder = temporaryDatabase();
    cleanups.push(() => folder.remove(), () => groq.close(), () => slack.close(), () => discord.close());
    groq.setFallback((request) => ({ kind: 'text', text: `You said: ${(request.body.messages as Array<{ content: string }>).at(-1)?.content ?? ''}`, tokensPerSecond: 400 }));
    const environment = {
      GROQ_API_KEY: fakeGroqDefaults.apiKey,
      GROQ_BASE_URL: groq.baseUrl,
      DATABASE_PATH: folder.databasePath,
      SLACK_BOT_TOKEN: fakeSlackIds.botToken,
      SLACK_SIGNING_SECRET: fakeSlackIds.signingSecret,
      SLACK_API_URL: slack.apiUrl,
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      SLACK_EDITS_PER_MINUTE: '6000',
      DISCORD_EDITS_PER_5S: '1000',
      EDIT_INTERVAL_MS: '200',
      SHUTDOWN_GRACE_MS: '1500',
    };
    // Discord duplicates re-dispatch the exact MESSAGE_CREATE payload, as a gateway replay would.
    const dispatched = new Map<string, unknown>();
    const dispatch = discord.dispatch.bind(discord);
    discord.dispatch = (type: string, data: unknown) => {
      if (type === 'MESSAGE_CREATE') dispatched.set(String((data as { id: string }).id), data);
      dispatch(type, data);
    };
    const discordIds: string[] = [];
    const retryLater: Array<{ body: EventBody; retryNum: number }> = [];

    let bot: ServiceProcess = await startServiceProcess(environment);
    cleanups.push(() => bot.kill());
    await bot.waitForHealthy();
    const deliver = async (delivery: Delivery, target: ServiceProcess) => {
      if (delivery.platform === 'slack') {
        const sent = await deliverEvent(`${target.url}/slack/events`, delivery.body, { signingSecret: fakeSlackIds.signingSecret, retryNum: delivery.retryNum }).catch(() => undefined);
        // Slack retries what did not get a 2xx (connection refused while restarting).
        if (!sent || sent.status >= 300) retryLater.push({ body: delivery.body, retryNum: (delivery.retryNum ?? 0) + 1 });
      } else if (delivery.duplicateOf === undefined) {
        discordIds.push(discord.sendMessage({ content: delivery.content }));
      } else {
        const id = discordIds[delivery.duplicateOf];
        if (id) discord.dispatch('MESSAGE_CREATE', dispatched.get(id));
      }
    };

    const deliveries = plan();
    expect(deliveries).toHaveLength(200);
    const half = Math.floor(deliveries.length / 2);
    for (const delivery of deliveries.slice(0, half)) await deliver(delivery, bot);

    // Restart in the middle of the storm: these arrive while the first process shuts down.
    bot.child.kill('SIGTERM');
    for (const delivery of deliveries.slice(half, half + 20)) await deliver(delivery, bot);
    expect((await bot.exited).code).toBe(0);

    bot = await startServiceProcess(environment);
    await bot.waitForHealthy();
    for (const delivery of deliveries.slice(half + 20)) await deliver(delivery, bot);
    const refusedWhileDown = retryLater.length;
    for (const retry of retryLater.splice(0)) await deliver({ platform: 'slack', body: retry.body, retryNum: retry.retryNum, unique: false }, bot);

    const slackUnique = deliveries.filter((delivery): delivery is Extract<Delivery, { platform: 'slack' }> => delivery.platform === 'slack' && delivery.unique);
    const answersIn = (body: EventBody) => threadReplies(slack, String(body.event.channel), String(body.event.ts));
    const discordAnswers = (id: string) => discord.botMessages().filter((message) => message.referenceId === id);
    await eventually(
      () => slackUnique.every((delivery) => answersIn(delivery.body).length > 0) && discordIds.every((id) => discordAnswers(id).length > 0),
      50_000,
      'an answer to every unique message',
    );
    // Let anything that would be a second answer arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const delivery of slackUnique) {
      const answers = answersIn(delivery.body);
      expect(answers.map((answer) => answer.markdown ?? answer.text)).toEqual([`You said: ${String(delivery.body.event.text).replace(/^<@\w+> /, '')}`]);
    }
    for (const [index, id] of discordIds.entries()) {
      expect(discordAnswers(id).map((answer) => answer.content)).toEqual([`You said: discord question ${index}`]);
    }
    expect(discordIds).toHaveLength(uniquePerPlatform);
    // The restart really fell inside the storm: deliveries were refused while down, or stored while stopping and answered after.
    const resumed = Number(bot.logs.find((line) => line.msg === 'answering messages left unanswered by the last stop')?.messages ?? 0);
    expect(refusedWhileDown + resumed).toBeGreaterThan(0);
    expect(groq.requests).toHaveLength(uniquePerPlatform * 2);
  });
});
