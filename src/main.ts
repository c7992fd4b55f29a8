import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDiscordAdapter } from '../adapters/discord/discord-adapter.js';
import { createSlackAdapter } from '../adapters/slack/slack-adapter.js';
import { BetweenEventsCollector } from './between-events-collector.js';
import { ConfigError, loadConfig, secretsOf, type Config } from './config.js';
import { GroqClient } from './completion/groq-client.js';
import { ConversationEngine } from './conversation/conversation-engine.js';
import { engineSettingsOf } from './conversation/engine-settings.js';
import type { ChatAdapter } from './conversation/port.js';
import { healthReport } from './health.js';
import { startHttpServer } from './http/http-server.js';
import { HttpRouter } from './http/router.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { Platform } from './platform.js';
import { ReplyRenderer } from './reply/reply-renderer.js';
import { openStore } from './store/open-store.js';
import { collectStartUpGarbage } from './start-up-garbage.js';
import { rewarmAfterFullCollections } from './tokens/rewarm-after-full-collections.js';
import { hasExactTokenizer, TokenCounter } from './tokens/token-counter.js';

/** Options for starting the service in-process (tests, benchmarks). */
export interface ServiceOptions {
  /** Defaults to a JSON logger on stdout at the configured level. */
  logger?: Logger;
}

/** A running service. */
export interface RunningService {
  /** The HTTP port actually bound (PORT=0 picks a free one). */
  readonly port: number;
  readonly metrics: Metrics;
  readonly engine: ConversationEngine;
  /** Graceful stop: replies in flight get SHUTDOWN_GRACE_MS, then everything closes. */
  stop(): Promise<void>;
}

const retentionIntervalMs = 60 * 60 * 1000;

/** Composition root: store, Groq client, renderer, engine, HTTP server and the configured platforms. */
export async function startService(config: Config, options: ServiceOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  const metrics = createMetrics({ defaults: true });
  const tokenCounter = new TokenCounter();
  // The tokenizer builds its tables on first use (~10 ms): pay that now, not on the first message
  // (and again after full GCs, below).
  tokenCounter.count(config.groq.model, 'warm up');
  const repository = openStore(config.databasePath, {
    tokenCounter,
    onCheckpointThreadFailure: (error) => logger.warn({ err: error }, 'WAL checkpoint thread failed; SQLite checkpoints inside commits again'),
  });
  const completion = new GroqClient({
    baseUrl: config.groq.baseUrl,
    apiKey: config.groq.apiKey,
    timeoutMs: config.groq.timeoutMs,
    idleTimeoutMs: config.groq.idleTimeoutMs,
    maxRetries: config.groq.maxRetries,
    maxRetryWaitMs: config.groq.maxRetryWaitMs,
    warmConnections: config.groq.warmConnections,
    logger,
    metrics,
  });
  const renderer = new ReplyRenderer({ logger, metrics });
  const collector = new BetweenEventsCollector();
  const engine = new ConversationEngine({
    afterEvents: () => collector.afterEvents(),
    repository,
    completion,
    renderer,
    tokenCounter,
    settings: engineSettingsOf(config),
    logger,
    metrics,
    commandNames: config.slack
      ? { slack: { ask: config.slack.askCommand, system: config.slack.systemCommand, reset: config.slack.resetCommand } }
      : {},
  });

  const router = new HttpRouter();
  const adapters: ChatAdapter[] = [];
  if (config.slack) {
    adapters.push(createSlackAdapter({ config: config.slack, editIntervalMs: config.editIntervalMs, router, logger: logger.child({ platform: 'slack' }), metrics }));
  }
  if (config.discord) {
    adapters.push(createDiscordAdapter({ config: config.discord, editIntervalMs: config.editIntervalMs, logger: logger.child({ platform: 'discord' }), metrics }));
  }
  for (const adapter of adapters) engine.addAdapter(adapter);

  let started = false;
  let stopping = false;
  router.handle('GET', '/healthz', (_request, response) => {
    const platforms: Partial<Record<Platform, ReturnType<ChatAdapter['health']>>> = {};
    for (const adapter of adapters) platforms[adapter.platform] = adapter.health();
    const { httpStatus, report } = healthReport({ started, stopping, platforms });
    response.writeHead(httpStatus, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify(report));
  });
  router.handle('GET', '/metrics', async (_request, response) => {
    const body = await metrics.registry.metrics();
    response.writeHead(200, { 'content-type': metrics.registry.contentType });
    response.end(body);
  });

  const http = await startHttpServer({ router, port: config.port, logger });
  logger.info({ port: http.port, platforms: adapters.map((adapter) => adapter.platform), model: config.groq.model }, 'HTTP server listening');

  const retention = setInterval(() => {
    try {
      const deleted = repository.deleteIdleConversations(config.historyRetentionDays);
      const pruned = repository.pruneProcessedEvents();
      if (deleted > 0 || pruned > 0) logger.info({ deleted, pruned }, 'retention ran');
    } catch (error) {
      logger.error({ err: error }, 'retention failed');
    }
  }, retentionIntervalMs);
  retention.unref();

  // Full GCs drop the tokenizer's compiled pre-tokenizer when unused: build it again right after
  // them. Models without an exact tokenizer are counted by length, with nothing to keep compiled.
  const stopRewarming = hasExactTokenizer(config.groq.model)
    ? rewarmAfterFullCollections(() => tokenCounter.count(config.groq.model, 'warm up'))
    : () => {};

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(retention);
    stopRewarming();
    const finished = await engine.shutdown(config.shutdownGraceMs);
    logger.info({ finished }, 'replies finished or interrupted; closing');
    await Promise.allSettled(adapters.map((adapter) => adapter.stop()));
    await http.close();
    await completion.close();
    await repository.close();
    logger.info('stopped');
  };

  try {
    // Adapters connect first so recovery can edit through them; the engine holds new work until recovery is done.
    await Promise.all(adapters.map((adapter) => adapter.start(engine)));
    await engine.recover();
    repository.deleteIdleConversations(config.historyRetentionDays);
    repository.pruneProcessedEvents();
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  started = true;
  const startUpGcMs = collectStartUpGarbage();
  logger.info({ startUpGcMs: Math.round(startUpGcMs * 10) / 10 }, 'groqbot started');
  return { port: http.port, metrics, engine, stop };
}

/** Runs the service as a process: config from the environment and .env, signals for a graceful stop. */
async function runProcess(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  let service: RunningService;
  try {
    service = await startService(config, { logger });
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    process.exitCode = 1;
    return;
  }
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'stopping');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A stray rejection in a library callback must not take every conversation down with it.
  process.on('unhandledRejection', (reason: unknown) => {
    logger.error({ err: reason }, 'unhandled promise rejection');
  });
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) void runProcess();
