import Database from 'better-sqlite3';
import { fakeGroqDefaults } from '../fakes/fake-groq.js';
import { fakeSlackIds, type FakeSlack, type FakeSlackMessage } from '../fakes/fake-slack.js';

/** The environment of a service process with Slack (HTTP mode) against the fakes. */
export function slackEnvironment(options: { groqBaseUrl: string; slack: FakeSlack; databasePath: string; extra?: Record<string, string> }): Record<string, string> {
  return {
    GROQ_API_KEY: fakeGroqDefaults.apiKey,
    GROQ_BASE_URL: options.groqBaseUrl,
    DATABASE_PATH: options.databasePath,
    SLACK_BOT_TOKEN: fakeSlackIds.botToken,
    SLACK_SIGNING_SECRET: fakeSlackIds.signingSecret,
    SLACK_API_URL: options.slack.apiUrl,
    ...options.extra,
  };
}

/** The bot's messages in a Slack thread, oldest first. */
export function threadReplies(slack: FakeSlack, channel: string, threadTs: string): FakeSlackMessage[] {
  return slack
    .messagesIn(channel)
    .filter((message) => message.threadTs === threadTs)
    .sort((a, b) => Number(a.ts) - Number(b.ts));
}

/** Statuses of every stored message, read straight from the SQLite file. */
export function storedStatuses(databasePath: string): Array<{ role: string; status: string; content: string }> {
  const database = new Database(databasePath, { readonly: true });
  try {
    return database.prepare('SELECT role, status, content FROM messages ORDER BY id').all() as Array<{ role: string; status: string; content: string }>;
  } finally {
    database.close();
  }
}
