import { createSlackAdapter } from '../../adapters/slack/slack-adapter.js';
import { parseConfig } from '../../src/config.js';
import type { ChatAdapter, CommandResponder, EngineHandlers, IncomingCommand, IncomingMessage } from '../../src/conversation/port.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/http-server.js';
import { HttpRouter } from '../../src/http/router.js';
import { createSilentLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { fakeSlackIds, startFakeSlack, type FakeSlack, type FakeSlackOptions } from '../fakes/fake-slack.js';

/** Handlers that record what the adapter hands the engine; commands run `onCommandRun` if set. */
export class RecordingHandlers implements EngineHandlers {
  readonly messages: IncomingMessage[] = [];
  readonly commands: Array<{ command: IncomingCommand; responder: CommandResponder }> = [];
  onCommandRun: ((command: IncomingCommand, responder: CommandResponder) => Promise<void>) | undefined;
  /** When set, a message's handling lasts until the promise it returns settles. */
  onMessageRun: ((message: IncomingMessage) => Promise<void>) | undefined;

  async onMessage(message: IncomingMessage): Promise<void> {
    this.messages.push(message);
    await this.onMessageRun?.(message);
  }

  async onCommand(command: IncomingCommand, responder: CommandResponder): Promise<void> {
    this.commands.push({ command, responder });
    await this.onCommandRun?.(command, responder);
  }
}

/** The adapter on the service's HTTP server (or in Socket Mode), against a fake Slack. */
export interface AdapterHarness {
  slack: FakeSlack;
  adapter: ChatAdapter;
  handlers: RecordingHandlers;
  http: RunningHttpServer;
  eventsUrl: string;
  close(): Promise<void>;
}

/** Starts a fake Slack, the HTTP server and the adapter; `socketMode` sets SLACK_APP_TOKEN. */
export async function startAdapterHarness(
  options: { socketMode?: boolean; environment?: Record<string, string>; fake?: FakeSlackOptions; start?: boolean; acknowledgeWithinMs?: number } = {},
): Promise<AdapterHarness> {
  const slack = await startFakeSlack(options.fake);
  const config = parseConfig({
    GROQ_API_KEY: 'gsk_test_fake_key_0123456789',
    SLACK_BOT_TOKEN: fakeSlackIds.botToken,
    SLACK_SIGNING_SECRET: fakeSlackIds.signingSecret,
    ...(options.socketMode ? { SLACK_APP_TOKEN: fakeSlackIds.appToken } : {}),
    SLACK_API_URL: slack.apiUrl,
    ...options.environment,
  });
  if (!config.slack) throw new Error('no Slack config');
  const router = new HttpRouter();
  const logger = createSilentLogger();
  const adapter = createSlackAdapter({
    config: config.slack,
    editIntervalMs: config.editIntervalMs,
    router,
    logger,
    metrics: createMetrics(),
    callLimits: { timeoutMs: 2_000, retries: 1 },
    socketPingTimeoutMs: 300,
    ...(options.acknowledgeWithinMs === undefined ? {} : { acknowledgeWithinMs: options.acknowledgeWithinMs }),
  });
  const http = await startHttpServer({ router, port: 0, host: '127.0.0.1', logger });
  const handlers = new RecordingHandlers();
  if (options.start !== false) await adapter.start(handlers);
  return {
    slack,
    adapter,
    handlers,
    http,
    eventsUrl: `http://127.0.0.1:${http.port}/slack/events`,
    close: async () => {
      await adapter.stop();
      await http.close();
      await slack.close();
    },
  };
}
