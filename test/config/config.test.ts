import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';

const minimal = { GROQ_API_KEY: 'gsk_test_key_123456', DISCORD_BOT_TOKEN: 'discord-token' };

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    const config = parseConfig(minimal);
    expect(config.groq.baseUrl).toBe('https://api.groq.com/openai/v1');
    expect(config.groq.model).toBe('openai/gpt-oss-120b');
    expect(config.groq.timeoutMs).toBe(15_000);
    expect(config.groq.idleTimeoutMs).toBe(30_000);
    expect(config.groq.maxRetries).toBe(2);
    expect(config.groq.maxRetryWaitMs).toBe(20_000);
    expect(config.groq.warmConnections).toBe(16);
    expect(config.groq.temperature).toBeUndefined();
    expect(config.port).toBe(3000);
    expect(config.databasePath).toBe('./data/groqbot.db');
    expect(config.discord?.apiUrl).toBe('https://discord.com/api');
    expect(config.slack).toBeUndefined();
    expect(config.onNewMessage).toBe('queue');
    expect(config.maxInputChars).toBe(16_000);
  });

  it('names every offending variable in one message', () => {
    let caught: unknown;
    try {
      parseConfig({
        GROQ_TEMPERATURE: '3',
        GROQ_TOP_P: 'abc',
        GROQ_TIMEOUT_MS: 'soon',
        GROQ_WARM_CONNECTIONS: '200',
        GROQ_STOP: '["a","b","c","d","e"]',
        SLACK_BOT_TOKEN: 'xoxb-1',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.variables.sort()).toEqual(
      ['GROQ_API_KEY', 'GROQ_STOP', 'GROQ_TEMPERATURE', 'GROQ_TIMEOUT_MS', 'GROQ_TOP_P', 'GROQ_WARM_CONNECTIONS', 'SLACK_SIGNING_SECRET'].sort(),
    );
    for (const variable of error.variables) expect(error.message).toContain(variable);
  });

  it('refuses a configuration with no platform', () => {
    expect(() => parseConfig({ GROQ_API_KEY: 'k' })).toThrow(/SLACK_BOT_TOKEN[\s\S]*DISCORD_BOT_TOKEN/);
  });

  it('reads GROQ_STOP as a JSON list or as one sequence with commas', () => {
    expect(parseConfig({ ...minimal, GROQ_STOP: ', 6' }).groq.stop).toBe(', 6');
    expect(parseConfig({ ...minimal, GROQ_STOP: '["END", "\\n\\n"]' }).groq.stop).toEqual(['END', '\n\n']);
    expect(parseConfig({ ...minimal, GROQ_STOP: '[not json' }).groq.stop).toBe('[not json');
  });

  it('accepts Socket Mode Slack without a signing secret, and HTTP mode with one', () => {
    expect(parseConfig({ GROQ_API_KEY: 'k', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack?.appToken).toBe('xapp-1');
    const http = parseConfig({ GROQ_API_KEY: 'k', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' });
    expect(http.slack?.apiUrl).toBe('https://slack.com/api/');
    expect(http.slack?.askCommand).toBe('/ask');
  });
});
