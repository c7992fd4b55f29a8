import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Manifest {
  features: { app_home: { messages_tab_enabled: boolean; messages_tab_read_only_enabled: boolean }; slash_commands: Array<{ command: string }> };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; socket_mode_enabled: boolean };
}

describe('slack-app-manifest.json', () => {
  const manifest = JSON.parse(readFileSync(path.join(root, 'slack-app-manifest.json'), 'utf8')) as Manifest;
  const slack = parseConfig({ GROQ_API_KEY: 'gsk_test_fake_key_0123456789', SLACK_BOT_TOKEN: 'xoxb-x', SLACK_APP_TOKEN: 'xapp-x' }).slack!;

  it('subscribes to every event the adapter handles', () => {
    // app_mention for mentions; message.* for thread follow-ups (channels, private channels), DMs and group DMs.
    expect(new Set(manifest.settings.event_subscriptions.bot_events)).toEqual(
      new Set(['app_mention', 'message.channels', 'message.groups', 'message.im', 'message.mpim']),
    );
  });

  it('declares the default commands', () => {
    expect(manifest.features.slash_commands.map((command) => command.command).sort()).toEqual(
      [slack.askCommand, slack.systemCommand, slack.resetCommand].sort(),
    );
  });

  it('enables Socket Mode and DMs in App Home, with the scopes the adapter needs', () => {
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.features.app_home.messages_tab_enabled).toBe(true);
    expect(manifest.features.app_home.messages_tab_read_only_enabled).toBe(false);
    expect(new Set(manifest.oauth_config.scopes.bot)).toEqual(
      new Set(['app_mentions:read', 'chat:write', 'chat:write.public', 'channels:history', 'groups:history', 'im:history', 'im:read', 'im:write', 'mpim:history', 'commands', 'assistant:write']),
    );
  });
});
