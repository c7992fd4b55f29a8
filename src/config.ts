import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { GroqbotError } from './errors.js';

/** Default system prompt when neither a conversation, a channel nor SYSTEM_PROMPT sets one. */
export const defaultSystemPrompt =
  'You are groqbot, a helpful assistant in a team chat. Answer clearly and concisely, using Markdown where it helps.';

/** Groq connection and sampling settings. */
export interface GroqConfig {
  apiKey: string;
  baseUrl: string;
  model: string;
  temperature?: number;
  topP?: number;
  maxCompletionTokens?: number;
  reasoningEffort?: string;
  stop?: string | string[];
  timeoutMs: number;
  idleTimeoutMs: number;
  maxRetries: number;
  maxRetryWaitMs: number;
  /** Connections to Groq kept open ahead of need, so a question never waits for a handshake. */
  warmConnections: number;
}

/** Slack settings; present when SLACK_BOT_TOKEN is set. */
export interface SlackConfig {
  botToken: string;
  signingSecret?: string;
  /** Socket Mode when set, else HTTP mode. */
  appToken?: string;
  apiUrl: string;
  maxMessageChars: number;
  editsPerMinute: number;
  askCommand: string;
  systemCommand: string;
  resetCommand: string;
  /** When non-empty, only these users may change a channel's system prompt. */
  adminUserIds: string[];
}

/** Discord settings; present when DISCORD_BOT_TOKEN is set. */
export interface DiscordConfig {
  botToken: string;
  apiUrl: string;
  guildId?: string;
  autoThread: boolean;
  /** Permission flag name (discord.js PermissionFlagsBits) needed to change a channel's system prompt. */
  systemPermission: string;
  editsPer5s: number;
}

/** The whole validated configuration, read once at start-up. */
export interface Config {
  groq: GroqConfig;
  systemPrompt: string;
  slack?: SlackConfig;
  discord?: DiscordConfig;
  port: number;
  databasePath: string;
  logLevel: string;
  historyRetentionDays: number;
  historyMaxTokens?: number;
  historyNotice: boolean;
  editIntervalMs: number;
  onNewMessage: 'queue' | 'cancel';
  maxInputChars: number;
  shutdownGraceMs: number;
}

/** Raised when the environment does not describe a runnable service; the message names every bad variable. */
export class ConfigError extends GroqbotError {
  /** The offending variable names. */
  readonly variables: string[];

  constructor(problems: Array<{ variable: string; message: string }>) {
    const lines = problems.map((problem) => `  ${problem.variable}: ${problem.message}`);
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, {
      code: 'invalid_config',
    });
    this.name = 'ConfigError';
    this.variables = [...new Set(problems.map((problem) => problem.variable))];
  }
}

const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const optionalText = z.preprocess(blankToUndefined, z.string().optional());

const numberText = (options: { min?: number; max?: number; integer?: boolean }) => {
  let schema = z.coerce.number({ error: 'must be a number' });
  if (options.integer) schema = schema.int({ error: 'must be a whole number' });
  if (options.min !== undefined) schema = schema.min(options.min, { error: `must be at least ${options.min}` });
  if (options.max !== undefined) schema = schema.max(options.max, { error: `must be at most ${options.max}` });
  return schema;
};

const optionalNumber = (options: { min?: number; max?: number; integer?: boolean }) =>
  z.preprocess(blankToUndefined, numberText(options).optional());

const numberWithDefault = (fallback: number, options: { min?: number; max?: number; integer?: boolean }) =>
  z.preprocess(blankToUndefined, numberText(options).default(fallback));

const booleanWithDefault = (fallback: boolean) =>
  z.preprocess(
    blankToUndefined,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  );

const url = (fallback: string) =>
  z.preprocess(blankToUndefined, z.url({ error: 'must be an http(s) URL' }).default(fallback));

const slashCommand = (fallback: string) =>
  z.preprocess(
    blankToUndefined,
    z.string().regex(/^\/[a-z0-9_-]{1,31}$/, { error: 'must look like /name' }).default(fallback),
  );

/** Parses GROQ_STOP: a JSON array of strings, else one sequence (which may contain commas). */
function parseStop(value: string | undefined): string | string[] | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.trim().startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed as string[];
    } catch {
      // Not JSON: the whole value is one stop sequence.
    }
  }
  return value;
}

const environmentSchema = z.object({
  GROQ_API_KEY: z.preprocess(blankToUndefined, z.string({ error: 'is required (your Groq API key)' })),
  GROQ_BASE_URL: url('https://api.groq.com/openai/v1'),
  GROQ_MODEL: z.preprocess(blankToUndefined, z.string().default('openai/gpt-oss-120b')),
  GROQ_TEMPERATURE: optionalNumber({ min: 0, max: 2 }),
  GROQ_TOP_P: optionalNumber({ min: 0, max: 1 }),
  GROQ_MAX_COMPLETION_TOKENS: optionalNumber({ min: 1, integer: true }),
  GROQ_REASONING_EFFORT: optionalText,
  GROQ_STOP: z
    .preprocess(blankToUndefined, z.string().optional())
    .transform(parseStop)
    .refine((stop) => !Array.isArray(stop) || stop.length <= 4, { error: 'at most 4 stop sequences' }),
  GROQ_TIMEOUT_MS: numberWithDefault(15_000, { min: 1, integer: true }),
  GROQ_IDLE_TIMEOUT_MS: numberWithDefault(30_000, { min: 1, integer: true }),
  GROQ_MAX_RETRIES: numberWithDefault(2, { min: 0, max: 10, integer: true }),
  GROQ_MAX_RETRY_WAIT_MS: numberWithDefault(20_000, { min: 0, integer: true }),
  GROQ_WARM_CONNECTIONS: numberWithDefault(16, { min: 0, max: 128, integer: true }),
  SYSTEM_PROMPT: z.preprocess(blankToUndefined, z.string().default(defaultSystemPrompt)),
  SLACK_BOT_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_API_URL: url('https://slack.com/api/'),
  SLACK_MAX_MESSAGE_CHARS: numberWithDefault(3_500, { min: 100, max: 12_000, integer: true }),
  SLACK_EDITS_PER_MINUTE: numberWithDefault(50, { min: 1, integer: true }),
  SLACK_ASK_COMMAND: slashCommand('/ask'),
  SLACK_SYSTEM_COMMAND: slashCommand('/system'),
  SLACK_RESET_COMMAND: slashCommand('/reset'),
  SLACK_ADMIN_USER_IDS: optionalText,
  DISCORD_BOT_TOKEN: optionalText,
  DISCORD_API_URL: url('https://discord.com/api'),
  DISCORD_GUILD_ID: z.preprocess(blankToUndefined, z.string().regex(/^\d{15,21}$/, { error: 'must be a guild id (a snowflake)' }).optional()),
  DISCORD_AUTO_THREAD: booleanWithDefault(false),
  DISCORD_SYSTEM_PERMISSION: z.preprocess(blankToUndefined, z.string().regex(/^[A-Za-z]+$/, { error: 'must be a permission name such as ManageChannels' }).default('ManageChannels')),
  DISCORD_EDITS_PER_5S: numberWithDefault(5, { min: 1, integer: true }),
  PORT: numberWithDefault(3_000, { min: 0, max: 65_535, integer: true }),
  DATABASE_PATH: z.preprocess(blankToUndefined, z.string().default('./data/groqbot.db')),
  LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'must be one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
  ),
  HISTORY_RETENTION_DAYS: numberWithDefault(90, { min: 0 }),
  HISTORY_MAX_TOKENS: optionalNumber({ min: 256, integer: true }),
  HISTORY_NOTICE: booleanWithDefault(true),
  EDIT_INTERVAL_MS: numberWithDefault(1_000, { min: 50, integer: true }),
  ON_NEW_MESSAGE: z.preprocess(blankToUndefined, z.enum(['queue', 'cancel'], { error: 'must be queue or cancel' }).default('queue')),
  MAX_INPUT_CHARS: numberWithDefault(16_000, { min: 1, integer: true }),
  SHUTDOWN_GRACE_MS: numberWithDefault(10_000, { min: 0, integer: true }),
});

type Environment = z.infer<typeof environmentSchema>;

/** Every variable the service reads (for .env.example and docs checks). */
export const configVariables = Object.keys(environmentSchema.shape);

function crossChecks(raw: Record<string, string | undefined>): Array<{ variable: string; message: string }> {
  const problems: Array<{ variable: string; message: string }> = [];
  const present = (name: string) => (raw[name] ?? '').trim() !== '';
  const environment = {
    SLACK_BOT_TOKEN: present('SLACK_BOT_TOKEN'),
    SLACK_APP_TOKEN: present('SLACK_APP_TOKEN'),
    SLACK_SIGNING_SECRET: present('SLACK_SIGNING_SECRET'),
    DISCORD_BOT_TOKEN: present('DISCORD_BOT_TOKEN'),
  };
  if (!environment.SLACK_BOT_TOKEN && !environment.DISCORD_BOT_TOKEN) {
    problems.push({ variable: 'SLACK_BOT_TOKEN', message: 'no platform configured: set SLACK_BOT_TOKEN or DISCORD_BOT_TOKEN' });
    problems.push({ variable: 'DISCORD_BOT_TOKEN', message: 'no platform configured: set SLACK_BOT_TOKEN or DISCORD_BOT_TOKEN' });
  }
  if (environment.SLACK_BOT_TOKEN && !environment.SLACK_APP_TOKEN && !environment.SLACK_SIGNING_SECRET) {
    problems.push({ variable: 'SLACK_SIGNING_SECRET', message: 'is required in HTTP mode (when SLACK_APP_TOKEN is not set)' });
  }
  return problems;
}

/** Validates an environment into a Config, or throws one ConfigError naming every bad variable. */
export function parseConfig(environment: Record<string, string | undefined>): Config {
  const result = environmentSchema.safeParse(environment);
  const problems: Array<{ variable: string; message: string }> = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push({ variable: String(issue.path[0] ?? 'environment'), message: issue.message });
    }
  }
  problems.push(...crossChecks(environment));
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return toConfig(result.data);
}

function toConfig(environment: Environment): Config {
  const groq: GroqConfig = {
    apiKey: environment.GROQ_API_KEY,
    baseUrl: environment.GROQ_BASE_URL.replace(/\/+$/, ''),
    model: environment.GROQ_MODEL,
    temperature: environment.GROQ_TEMPERATURE,
    topP: environment.GROQ_TOP_P,
    maxCompletionTokens: environment.GROQ_MAX_COMPLETION_TOKENS,
    reasoningEffort: environment.GROQ_REASONING_EFFORT,
    stop: environment.GROQ_STOP,
    timeoutMs: environment.GROQ_TIMEOUT_MS,
    idleTimeoutMs: environment.GROQ_IDLE_TIMEOUT_MS,
    maxRetries: environment.GROQ_MAX_RETRIES,
    maxRetryWaitMs: environment.GROQ_MAX_RETRY_WAIT_MS,
    warmConnections: environment.GROQ_WARM_CONNECTIONS,
  };
  const slack: SlackConfig | undefined = environment.SLACK_BOT_TOKEN
    ? {
        botToken: environment.SLACK_BOT_TOKEN,
        signingSecret: environment.SLACK_SIGNING_SECRET,
        appToken: environment.SLACK_APP_TOKEN,
        apiUrl: environment.SLACK_API_URL.endsWith('/') ? environment.SLACK_API_URL : `${environment.SLACK_API_URL}/`,
        maxMessageChars: environment.SLACK_MAX_MESSAGE_CHARS,
        editsPerMinute: environment.SLACK_EDITS_PER_MINUTE,
        askCommand: environment.SLACK_ASK_COMMAND,
        systemCommand: environment.SLACK_SYSTEM_COMMAND,
        resetCommand: environment.SLACK_RESET_COMMAND,
        adminUserIds: (environment.SLACK_ADMIN_USER_IDS ?? '')
          .split(/[\s,]+/)
          .filter((id) => id.length > 0),
      }
    : undefined;
  const discord: DiscordConfig | undefined = environment.DISCORD_BOT_TOKEN
    ? {
        botToken: environment.DISCORD_BOT_TOKEN,
        apiUrl: environment.DISCORD_API_URL.replace(/\/+$/, ''),
        guildId: environment.DISCORD_GUILD_ID,
        autoThread: environment.DISCORD_AUTO_THREAD,
        systemPermission: environment.DISCORD_SYSTEM_PERMISSION,
        editsPer5s: environment.DISCORD_EDITS_PER_5S,
      }
    : undefined;
  return {
    groq,
    systemPrompt: environment.SYSTEM_PROMPT,
    slack,
    discord,
    port: environment.PORT,
    databasePath: environment.DATABASE_PATH,
    logLevel: environment.LOG_LEVEL,
    historyRetentionDays: environment.HISTORY_RETENTION_DAYS,
    historyMaxTokens: environment.HISTORY_MAX_TOKENS,
    historyNotice: environment.HISTORY_NOTICE,
    editIntervalMs: environment.EDIT_INTERVAL_MS,
    onNewMessage: environment.ON_NEW_MESSAGE,
    maxInputChars: environment.MAX_INPUT_CHARS,
    shutdownGraceMs: environment.SHUTDOWN_GRACE_MS,
  };
}

/** Reads `.env` (if present) under the process environment, which wins, and validates the result. */
export function loadConfig(options: { environment?: NodeJS.ProcessEnv; envFile?: string } = {}): Config {
  const environment = options.environment ?? process.env;
  const envFile = options.envFile ?? '.env';
  let fromFile: Record<string, string> = {};
  try {
    fromFile = parseEnv(readFileSync(envFile, 'utf8')) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new GroqbotError(`Could not read ${envFile}`, { code: 'invalid_config', cause: error });
    }
  }
  return parseConfig({ ...fromFile, ...environment });
}

/** Every secret value in a config, for the logger to scrub. */
export function secretsOf(config: Config): string[] {
  return [
    config.groq.apiKey,
    config.slack?.botToken,
    config.slack?.appToken,
    config.slack?.signingSecret,
    config.discord?.botToken,
  ].filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
}
