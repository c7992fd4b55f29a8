import { temporaryDatabase } from '../temporary-database.js';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createSilentLogger } from '../../src/logger.js';
import { startService, type RunningService } from '../../src/main.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/fake-discord.js';
import { fakeGroqDefaults, startFakeGroq, type FakeGroq } from '../fakes/fake-groq.js';
import { deliverEvent, fakeSlackIds, startFakeSlack, type FakeSlack } from '../fakes/fake-slack.js';
import { mentionEvent } from '../slack/slack-payloads.js';
import { threadReplies } from '../drills/drill-environment.js';
import { eventually } from '../drills/service-process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

async function fakes(): Promise<{ groq: FakeGroq; slack: FakeSlack; discord: FakeDiscord; databasePath: string }> {
  const groq = await startFakeGroq();
  const slack = await startFakeSlack();
  const discord = await startFakeDiscord();
  const folder = temporaryDatabase();
  cleanups.push(() => folder.remove(), () => groq.close(), () => slack.close(), () => discord.close());
  return { groq, slack, discord, databasePath: folder.databasePath };
}

function environment(parts: { groq: FakeGroq; databasePath: string; slack?: FakeSlack; discord?: FakeDiscord; port?: number }): Record<string, string> {
  return {
    GROQ_API_KEY: fakeGroqDefaults.apiKey,
    GROQ_BASE_URL: parts.groq.baseUrl,
    DATABASE_PATH: parts.databasePath,
    PORT: String(parts.port ?? 0),
    LOG_LEVEL: 'silent',
    ...(parts.slack ? { SLACK_BOT_TOKEN: fakeSlackIds.botToken, SLACK_SIGNING_SECRET: fakeSlackIds.signingSecret, SLACK_API_URL: parts.slack.apiUrl } : {}),
    ...(parts.discord ? { DISCORD_BOT_TOKEN: parts.discord.token, DISCORD_API_URL: parts.discord.apiUrl } : {}),
  };
}

async function start(variables: Record<string, string>): Promise<RunningService> {
  const service = await startService(parseConfig(variables), { logger: createSilentLogger() });
  cleanups.push(() => service.stop());
  return service;
}

async function get(port: number, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, text: await response.text() };
}

describe('the service', () => {
  it('runs both platforms in one process: /healthz reports each, /metrics serves every metric family', async () => {
    const { groq, slack, discord, databasePath } = await fakes();
    const service = await start(environment({ groq, slack, discord, databasePath }));
    const health = await get(service.port, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok', platforms: { slack: 'ready', discord: 'ready' } });

    const mention = mentionEvent('metrics please', { channel: 'C0METRICS1' });
    await deliverEvent(`http://127.0.0.1:${service.port}/slack/events`, mention, { signingSecret: fakeSlackIds.signingSecret });
    await eventually(() => threadReplies(slack, 'C0METRICS1', String(mention.event.ts)).some((message) => message.text.includes('You said: metrics please')), 10_000, 'the answer');
    await service.engine.whenIdle(5_000);

    const metrics = await get(service.port, '/metrics');
    expect(metrics.status).toBe(200);
    for (const family of [
      'groqbot_replies_total{platform="slack",outcome="complete"} 1',
      'groqbot_groq_requests_total{outcome="ok"} 1',
      'groqbot_groq_errors_total',
      'groqbot_groq_time_to_first_token_seconds_count 1',
      'groqbot_reply_duration_seconds_count{platform="slack"} 1',
      'groqbot_reply_edits_sent_total{platform="slack"}',
      'groqbot_reply_rate_limited_total',
      'groqbot_replies_streaming 0',
      'groqbot_conversation_queue_depth 0',
      'process_cpu_user_seconds_total',
    ]) {
      expect(metrics.text).toContain(family);
    }
    expect((await get(service.port, '/nowhere')).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${service.port}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('starts with only Slack or only Discord', async () => {
    const { groq, slack, discord, databasePath } = await fakes();
    const slackOnly = await start(environment({ groq, slack, databasePath }));
    expect(JSON.parse((await get(slackOnly.port, '/healthz')).text)).toEqual({ status: 'ok', platforms: { slack: 'ready' } });
    await slackOnly.stop();
    const discordOnly = await start(environment({ groq, discord, databasePath }));
    expect(JSON.parse((await get(discordOnly.port, '/healthz')).text)).toEqual({ status: 'ok', platforms: { discord: 'ready' } });
  });

  it('answers 503 on /healthz while a platform is still starting', async () => {
    const { groq, slack, databasePath } = await fakes();
    slack.failNext('auth.test', { delayMs: 1_500 });
    const port = await freePort();
    const starting = startService(parseConfig(environment({ groq, slack, databasePath, port })), { logger: createSilentLogger() });
    let during: { status: number; text: string } | undefined;
    await eventually(async () => {
      during = await get(port, '/healthz').catch(() => undefined);
      return during !== undefined;
    }, 5_000, 'the HTTP server');
    expect(during?.status).toBe(503);
    expect(JSON.parse(during?.text ?? '{}')).toEqual({ status: 'starting', platforms: { slack: 'starting' } });
    const service = await starting;
    cleanups.push(() => service.stop());
    expect((await get(port, '/healthz')).status).toBe(200);
  });
});
