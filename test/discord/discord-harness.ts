import { createDiscordAdapter } from '../../adapters/discord/discord-adapter.js';
import { parseConfig } from '../../src/config.js';
import type {
  AskAnswerPlace,
  ChatAdapter,
  CommandResponder,
  EngineHandlers,
  IncomingCommand,
  IncomingMessage,
} from '../../src/conversation/port.js';
import { createSilentLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/fake-discord.js';

/** A command the adapter handed to the engine, with the responder it came with. */
export interface RecordedCommand {
  command: IncomingCommand;
  responder: CommandResponder;
  /** What the recording engine did with it: set by `onCommandHook`. */
  place?: AskAnswerPlace;
}

/** EngineHandlers that only record what arrives (the port-level contract). */
export class RecordingHandlers implements EngineHandlers {
  readonly messages: IncomingMessage[] = [];
  readonly commands: RecordedCommand[] = [];
  /** Runs inside onCommand, while the adapter still holds the command's permission. */
  onCommandHook: ((recorded: RecordedCommand) => Promise<void>) | undefined;

  async onMessage(message: IncomingMessage): Promise<void> {
    this.messages.push(message);
  }

  async onCommand(command: IncomingCommand, responder: CommandResponder): Promise<void> {
    const recorded: RecordedCommand = { command, responder };
    this.commands.push(recorded);
    await this.onCommandHook?.(recorded);
  }
}

/** Discord settings pointing at a fake. */
export function discordEnvironment(fake: FakeDiscord, extra: Record<string, string> = {}): Record<string, string> {
  return { DISCORD_BOT_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, ...extra };
}

/** A started adapter on a fake Discord, with recording handlers. */
export interface AdapterHarness {
  fake: FakeDiscord;
  adapter: ChatAdapter;
  handlers: RecordingHandlers;
  close(): Promise<void>;
}

/** Starts a fake Discord (unless given) and an adapter logged in to it. */
export async function startAdapterHarness(options: {
  fake?: FakeDiscord;
  environment?: Record<string, string>;
  editIntervalMs?: number;
  interactionTokenWindowMs?: number;
} = {}): Promise<AdapterHarness> {
  const fake = options.fake ?? (await startFakeDiscord());
  const config = parseConfig({ GROQ_API_KEY: 'gsk_test_fake_key_0123456789', ...discordEnvironment(fake, options.environment) });
  const adapter = createDiscordAdapter({
    config: config.discord!,
    editIntervalMs: options.editIntervalMs ?? 50,
    logger: createSilentLogger(),
    metrics: createMetrics(),
    interactionTokenWindowMs: options.interactionTokenWindowMs,
  });
  const handlers = new RecordingHandlers();
  await adapter.start(handlers);
  return {
    fake,
    adapter,
    handlers,
    close: async () => {
      await adapter.stop();
      if (!options.fake) await fake.close();
    },
  };
}

/** Waits until the handlers received a message with this id. */
export function messageArrived(harness: AdapterHarness, messageId: string): Promise<IncomingMessage> {
  return harness.fake.waitFor(() => harness.handlers.messages.find((message) => message.messageId === messageId), 5_000, `message ${messageId}`);
}

/** Lets gateway events in flight arrive (for asserting that something was NOT handed on). */
export async function settle(harness: AdapterHarness): Promise<void> {
  // A marker message sent last arrives after everything sent before it (one ordered socket).
  const marker = harness.fake.sendMessage({ content: `<@${harness.fake.botUserId}> marker` });
  await messageArrived(harness, marker);
}
