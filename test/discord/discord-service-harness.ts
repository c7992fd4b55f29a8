export { temporaryDatabase } from '../temporary-database.js';
import { parseConfig } from '../../src/config.js';
import { startService, type RunningService } from '../../src/main.js';
import type { FakeDiscord, FakeMessage } from '../fakes/fake-discord.js';
import type { FakeGroq, RecordedRequest } from '../fakes/fake-groq.js';
import { replyChain } from './discord-parts.js';

/** A chat message as Groq received it. */
export interface GroqMessage {
  role: string;
  content: string;
}

/** The messages of a recorded Groq request. */
export function groqMessages(request: RecordedRequest): GroqMessage[] {
  return (request.body.messages as GroqMessage[] | undefined) ?? [];
}

/** Starts the whole service with Discord configured against the fakes. */
export function startDiscordService(options: {
  discord: FakeDiscord;
  groq: FakeGroq;
  databasePath: string;
  environment?: Record<string, string>;
}): Promise<RunningService> {
  return startService(
    parseConfig({
      GROQ_API_KEY: 'gsk_test_fake_key_0123456789',
      GROQ_BASE_URL: options.groq.baseUrl,
      PORT: '0',
      DATABASE_PATH: options.databasePath,
      LOG_LEVEL: 'silent',
      DISCORD_BOT_TOKEN: options.discord.token,
      DISCORD_API_URL: options.discord.apiUrl,
      EDIT_INTERVAL_MS: '100',
      ...options.environment,
    }),
  );
}

/** Waits until the bot's reply chain to `questionId` reads exactly `answer` (parts joined). */
export async function waitForAnswer(
  discord: FakeDiscord,
  channelId: string,
  questionId: string,
  answer: string,
  join: (parts: string[]) => string = (parts) => parts.join(''),
  timeoutMs = 15_000,
): Promise<FakeMessage[]> {
  return discord.waitFor(
    () => {
      const chain = replyChain(discord.botMessages(channelId), questionId);
      return chain.length > 0 && join(chain.map((message) => message.content)) === answer ? chain : undefined;
    },
    timeoutMs,
    `the exact answer to ${questionId}`,
  );
}
