import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

function capture(): { stream: Writable & { write(line: string): boolean }; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { stream, lines };
}

describe('logger', () => {
  const apiKey = 'gsk_live_9fQ2mZx7LkP0aB3cD4eF5gH6';
  const slackToken = 'xoxb-1234567890-abcdefghijkl';

  it('never writes a configured secret, wherever it appears', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'debug', destination: stream, secrets: [apiKey, 'my-signing-secret-value'] });
    logger.info({ apiKey, headers: { authorization: `Bearer ${apiKey}` } }, 'request');
    logger.error({ err: new Error(`upstream said: bad key ${apiKey}`) }, 'failed');
    logger.warn({ config: { slackSigningSecret: 'my-signing-secret-value' } }, 'config');
    logger.info(`interpolated ${apiKey} and nested`);
    const output = lines.join('');
    expect(lines.length).toBe(4);
    expect(output).not.toContain(apiKey);
    expect(output).not.toContain('my-signing-secret-value');
    expect(output).toContain('[Redacted]');
  });

  it('scrubs token-shaped values it was not told about', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'info', destination: stream });
    logger.info({ note: `token ${slackToken} leaked`, url: 'https://x.test/?key=gsk_abcdefgh12345678' }, 'oops');
    const output = lines.join('');
    expect(output).not.toContain(slackToken);
    expect(output).not.toContain('gsk_abcdefgh12345678');
  });

  it('writes structured JSON lines with the level name', () => {
    const { stream, lines } = capture();
    createLogger({ level: 'info', destination: stream }).info({ conversationId: 7 }, 'hello');
    const parsed = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: 'info', msg: 'hello', conversationId: 7, service: 'groqbot' });
  });
});
