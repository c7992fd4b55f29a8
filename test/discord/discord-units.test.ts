import { describe, expect, it } from 'vitest';
import { fitToMessage } from '../../adapters/discord/discord-adapter.js';
import { withoutTokens } from '../../adapters/discord/discord-errors.js';
import { chunkText } from '../../adapters/discord/interaction-commands.js';
import { questionHeader } from '../../adapters/discord/interaction-reply-target.js';
import { invitePermissions, inviteUrl, permissionLabel } from '../../adapters/discord/invite-url.js';
import { mentionsBot, readableText } from '../../adapters/discord/mention-text.js';
import { sameCommands, slashCommands } from '../../adapters/discord/slash-commands.js';
import { threadName } from '../../adapters/discord/thread-name.js';

const botId = '1310000000000000999';
const names = {
  user: (id: string) => (id === '1310000000000000301' ? 'Bob' : undefined),
  role: (id: string) => (id === '1310000000000000210' ? 'moderators' : undefined),
  channel: (id: string) => (id === '1310000000000000100' ? 'general' : undefined),
};

describe('Discord adapter helpers', () => {
  it('counts only real user mentions of the bot', () => {
    expect(mentionsBot(`<@${botId}> hi`, botId)).toBe(true);
    expect(mentionsBot(`<@!${botId}> hi`, botId)).toBe(true);
    expect(mentionsBot('@everyone hi', botId)).toBe(false);
    expect(mentionsBot('<@&1310000000000000210> hi', botId)).toBe(false);
    expect(mentionsBot(`<@${botId}1> hi`, botId)).toBe(false);
  });

  it('removes the own mention and names the others, keeping code indentation', () => {
    expect(readableText(`<@${botId}> ask <@1310000000000000301> in <#1310000000000000100> and <@&1310000000000000210>`, botId, names)).toBe(
      'ask @Bob in #general and @moderators',
    );
    expect(readableText(`hey <@${botId}>, look:\n\`\`\`\n    indented\n\`\`\``, botId, names)).toBe('hey , look:\n```\n    indented\n```');
    expect(readableText('<@1310000000000000302> unknown stays', botId, names)).toBe('<@1310000000000000302> unknown stays');
  });

  it('builds the invite URL with both scopes and the five permissions', () => {
    expect(invitePermissions()).toBe('309237713920');
    const url = new URL(inviteUrl('1310000000000000999'));
    expect(url.searchParams.get('client_id')).toBe('1310000000000000999');
    expect(url.searchParams.get('scope')).toBe('bot applications.commands');
    expect(url.searchParams.get('permissions')).toBe('309237713920');
    expect(permissionLabel('ManageChannels')).toBe('Manage Channels');
  });

  it('compares registered commands with Discord-added fields and defaults as equal, and a change as different', () => {
    const registered = slashCommands.map((command) => ({
      ...command,
      id: '1',
      application_id: botId,
      version: '2',
      default_member_permissions: null,
      options: command.options?.map(({ required, ...option }) => ({ ...option, ...(required ? { required } : {}) })),
    }));
    expect(sameCommands(registered.reverse(), slashCommands)).toBe(true);
    const changed = slashCommands.map((command) => (command.name === 'reset' ? { ...command, description: 'Other' } : command));
    expect(sameCommands(changed, slashCommands)).toBe(false);
    expect(sameCommands(slashCommands.slice(1), slashCommands)).toBe(false);
  });

  it('names threads from the first line within 100 characters', () => {
    expect(threadName('\n  How do B-trees   split?\nmore', 'Ada')).toBe('How do B-trees split?');
    expect(threadName('', 'Ada')).toBe('Question from Ada');
    const long = threadName('x'.repeat(300), 'Ada');
    expect(long).toHaveLength(100);
  });

  it('quotes the /ask question on one escaped line', () => {
    expect(questionHeader('What is *this*?\nreally')).toBe('> What is \\*this\\*? really\n');
    expect(questionHeader('q'.repeat(500)).length).toBeLessThan(210);
  });

  it('fits recovered text into 2,000 characters, keeping the interruption note', () => {
    const text = `${'a'.repeat(1_990)}\n\n⚠️ interrupted: the bot restarted`;
    const fitted = fitToMessage(text);
    expect(fitted.length).toBeLessThanOrEqual(2_000);
    expect(fitted.endsWith('\n\n⚠️ interrupted: the bot restarted')).toBe(true);
    expect(fitToMessage('short')).toBe('short');
  });

  it('chunks long private answers and hides tokens in error text', () => {
    const chunks = chunkText(`${'line\n'.repeat(500)}end`, 2_000);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((chunk) => chunk.length <= 2_000)).toBe(true);
    expect(withoutTokens('PATCH /api/v10/webhooks/131/aW50ZXJ:secret/messages/@original')).toBe('PATCH /api/v10/webhooks/131/:token/messages/@original');
  });
});
