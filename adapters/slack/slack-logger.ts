import { LogLevel } from '@slack/bolt';
import type { Logger as SlackLogger } from '@slack/logger';
import type { Logger } from '../../src/logger.js';

function levelOf(logger: Logger): LogLevel {
  switch (logger.level) {
    case 'trace':
    case 'debug':
      return LogLevel.DEBUG;
    case 'info':
      return LogLevel.INFO;
    case 'warn':
      return LogLevel.WARN;
    default:
      return LogLevel.ERROR;
  }
}

function describe(part: unknown): string {
  if (part instanceof Error) return part.message;
  if (typeof part === 'string') return part;
  try {
    return JSON.stringify(part) ?? String(part);
  } catch {
    // Circular structures (sockets, requests) are not worth a log line's failure.
    return String(part);
  }
}

function line(parts: unknown[]): string {
  return parts.map(describe).join(' ');
}

/** Routes Bolt's and the Web API client's logging into the service's pino logger (which redacts secrets). */
export function toSlackLogger(logger: Logger): SlackLogger {
  const child = logger.child({ component: 'slack' });
  return {
    debug: (...parts: unknown[]) => child.debug(line(parts)),
    info: (...parts: unknown[]) => child.info(line(parts)),
    warn: (...parts: unknown[]) => child.warn(line(parts)),
    error: (...parts: unknown[]) => child.error(line(parts)),
    // The service's LOG_LEVEL rules; Bolt may try to set its own default.
    setLevel: () => undefined,
    getLevel: () => levelOf(logger),
    setName: () => undefined,
  };
}
