import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Paths pino censors wherever they appear in a log object. */
export const redactedPaths = [
  'apiKey', '*.apiKey', 'token', '*.token', 'botToken', '*.botToken', 'appToken', '*.appToken',
  'signingSecret', '*.signingSecret', 'authorization', '*.authorization', 'Authorization', '*.Authorization',
  'headers.authorization', '*.headers.authorization', 'headers.Authorization', '*.headers.Authorization',
  'config.groqApiKey', 'config.slackBotToken', 'config.slackAppToken', 'config.slackSigningSecret', 'config.discordBotToken',
  'groqApiKey', 'slackBotToken', 'slackAppToken', 'slackSigningSecret', 'discordBotToken',
];

/** Patterns of secrets that must never reach a log line, even inside a message string. */
const secretPatterns = [
  /gsk_[A-Za-z0-9]{8,}/g,
  /xox[abpr]-[A-Za-z0-9-]{8,}/g,
  /xapp-[A-Za-z0-9-]{8,}/g,
  /Bearer\s+[A-Za-z0-9._~+/=-]{8,}/g,
  /Bot\s+[A-Za-z0-9._-]{20,}/g,
];

/** Replaces anything that looks like a token in a string. */
export function scrubSecrets(text: string, extraSecrets: readonly string[] = []): string {
  let result = text;
  for (const secret of extraSecrets) {
    if (secret.length >= 6) result = result.split(secret).join('[Redacted]');
  }
  for (const pattern of secretPatterns) result = result.replace(pattern, '[Redacted]');
  return result;
}

/** Options of the service logger. */
export interface LoggerOptions {
  level: string;
  /** Where lines go; stdout by default (tests pass a stream to read them). */
  destination?: DestinationStream;
  /** Exact secret values from the configuration, scrubbed from every line. */
  secrets?: readonly string[];
}

/** The structured logger: JSON lines, secrets redacted by path and by value. */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = (options.secrets ?? []).filter((secret) => secret.length >= 6);
  const target = options.destination ?? pino.destination({ fd: 1, sync: false });
  // Scrubbing the serialized line catches secrets nested in error messages and causes,
  // which path-based redaction cannot reach.
  const scrubbing: DestinationStream = {
    write(line: string) {
      target.write(scrubSecrets(line, secrets));
    },
  };
  return pino(
    {
      level: options.level,
      redact: { paths: redactedPaths, censor: '[Redacted]' },
      base: { service: 'groqbot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    scrubbing,
  );
}

/** A logger that writes nothing, for tests and benchmarks that do not read logs. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
