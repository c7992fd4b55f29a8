export { temporaryDatabase } from '../temporary-database.js';
import { parseConfig } from '../../src/config.js';
import { startService, type RunningService } from '../../src/main.js';
import { deliverCommand, deliverEvent, fakeSlackIds, type Delivery, type DeliveryOptions, type FakeSlack, type FakeSlackMessage } from '../fakes/fake-slack.js';

/** The whole service (HTTP mode) wired to a fake Slack and a fake Groq. */
export interface SlackService {
  service: RunningService;
  eventsUrl: string;
  deliver(body: unknown, options?: Partial<DeliveryOptions>): Promise<Delivery>;
  command(form: Record<string, string>, options?: Partial<DeliveryOptions>): Promise<Delivery>;
  stop(): Promise<void>;
}

/** Starts the service with Slack in HTTP mode against the fakes. */
export async function startSlackService(options: {
  slack: FakeSlack;
  groqBaseUrl: string;
  databasePath: string;
  environment?: Record<string, string>;
}): Promise<SlackService> {
  const service = await startService(
    parseConfig({
      GROQ_API_KEY: 'gsk_test_fake_key_0123456789',
      GROQ_BASE_URL: options.groqBaseUrl,
      PORT: '0',
      DATABASE_PATH: options.databasePath,
      LOG_LEVEL: 'silent',
      SLACK_BOT_TOKEN: fakeSlackIds.botToken,
      SLACK_SIGNING_SECRET: fakeSlackIds.signingSecret,
      SLACK_API_URL: options.slack.apiUrl,
      ...options.environment,
    }),
  );
  const eventsUrl = `http://127.0.0.1:${service.port}/slack/events`;
  const signing = { signingSecret: fakeSlackIds.signingSecret };
  return {
    service,
    eventsUrl,
    deliver: (body, deliveryOptions = {}) => deliverEvent(eventsUrl, body, { ...signing, ...deliveryOptions }),
    command: (form, deliveryOptions = {}) => deliverCommand(eventsUrl, form, { ...signing, ...deliveryOptions }),
    stop: () => service.stop(),
  };
}

/** The bot's messages in a thread, oldest first (the parts of its answers). */
export function botMessagesIn(slack: FakeSlack, channel: string, threadTs: string | undefined): FakeSlackMessage[] {
  return slack
    .messagesIn(channel)
    .filter((message) => message.threadTs === threadTs)
    .sort((a, b) => Number(a.ts) - Number(b.ts));
}

/** Whitespace-insensitive form, to compare an answer with the parts it was split into. */
export function normalised(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The visible markdown of the given parts, joined. */
export function joinedMarkdown(parts: FakeSlackMessage[]): string {
  return parts.map((part) => part.markdown ?? part.text).join(' ');
}

/** Waits until the bot's messages in a thread (posted after `afterTs`) read exactly `expected`; returns them. */
export async function waitForAnswer(
  slack: FakeSlack,
  place: { channel: string; threadTs: string | undefined; afterTs?: string },
  expected: string,
  timeoutMs = 15_000,
): Promise<FakeSlackMessage[]> {
  const parts = () =>
    botMessagesIn(slack, place.channel, place.threadTs).filter((message) => place.afterTs === undefined || Number(message.ts) > Number(place.afterTs));
  await slack.waitFor(() => normalised(joinedMarkdown(parts())) === normalised(expected), timeoutMs, `the answer "${expected.slice(0, 40)}" in ${place.channel}/${place.threadTs}`);
  return parts();
}
