import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/errors.js';
import { fakeIds, fakePermissions, fakeUsers, startFakeDiscord, type FakeDiscord } from '../fakes/fake-discord.js';
import { messageArrived, startAdapterHarness, type AdapterHarness, type RecordedCommand } from './discord-harness.js';

const bot = `<@${fakeIds.bot}>`;

async function commandArrived(harness: AdapterHarness, commandId: string): Promise<RecordedCommand> {
  return harness.fake.waitFor(() => harness.handlers.commands.find((recorded) => recorded.command.commandId === commandId), 5_000, `command ${commandId}`);
}

describe('Discord slash commands at the port', () => {
  let harness: AdapterHarness;

  beforeAll(async () => {
    harness = await startAdapterHarness({ environment: { DISCORD_GUILD_ID: fakeIds.guild } });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('registers globally and in DISCORD_GUILD_ID', () => {
    expect(harness.fake.callsTo('PUT', /^\/applications\/\d+\/commands$/)).toHaveLength(1);
    expect(harness.fake.callsTo('PUT', new RegExp(`^/applications/\\d+/guilds/${fakeIds.guild}/commands$`))).toHaveLength(1);
  });

  it('defers /system ephemerally, passes `set <prompt>`, and checks Manage Channels from the member', async () => {
    const allowed: boolean[] = [];
    harness.handlers.onCommandHook = async (recorded) => {
      allowed.push(await harness.adapter.maySetSystemPrompt(recorded.command));
      await recorded.responder.respond('Saved.');
    };
    const withPermission = harness.fake.sendInteraction({
      name: 'system',
      options: [{ name: 'set', type: 1, options: [{ name: 'prompt', type: 3, value: 'You are a pirate.' }] }],
      permissions: fakePermissions.withManageChannels,
    });
    const recorded = await commandArrived(harness, withPermission.id);
    expect(recorded.command).toMatchObject({
      platform: 'discord',
      name: 'system',
      text: 'set You are a pirate.',
      workspaceId: fakeIds.guild,
      channelId: fakeIds.general,
      isDirect: false,
      author: { id: fakeIds.ada, name: 'Ada' },
    });
    expect(withPermission.callback?.body).toMatchObject({ type: 5, data: { flags: 64 } });

    const withoutPermission = harness.fake.sendInteraction({
      name: 'system',
      options: [{ name: 'clear', type: 1, options: [] }],
      user: fakeUsers.bob,
      permissions: fakePermissions.withoutManageChannels,
    });
    expect((await commandArrived(harness, withoutPermission.id)).command.text).toBe('clear');
    await harness.fake.waitFor(() => allowed.length === 2, 5_000, 'both permission checks');
    expect(allowed).toEqual([true, false]);
    expect(harness.adapter.systemPromptAuthority).toBe('members with the Manage Channels permission');
    const original = harness.fake.messages.get(withPermission.originalMessageId!)!;
    await harness.fake.waitFor(() => original.content === 'Saved.', 5_000, 'ephemeral answer');
    expect(original.flags & 64).toBe(64);
    harness.handlers.onCommandHook = undefined;
  });

  it('passes threads with their parent and DMs as direct', async () => {
    const inThread = harness.fake.sendInteraction({ name: 'system', options: [{ name: 'show', type: 1, options: [] }], channelId: fakeIds.thread });
    expect((await commandArrived(harness, inThread.id)).command).toMatchObject({ text: 'show', channelId: fakeIds.thread, parentChannelId: fakeIds.general });
    const inDm = harness.fake.sendInteraction({ name: 'reset', dm: true });
    const recorded = await commandArrived(harness, inDm.id);
    expect(recorded.command).toMatchObject({ name: 'reset', text: '', isDirect: true, workspaceId: '', channelId: fakeIds.adaDm });
    expect(await harness.adapter.maySetSystemPrompt(recorded.command)).toBe(true);
  });

  it('streams /ask into the deferred response, then follow-ups, with the question quoted', async () => {
    const interaction = harness.fake.sendInteraction({
      name: 'ask',
      options: [
        { name: 'question', type: 3, value: 'What is a snowflake id?' },
        { name: 'system', type: 3, value: 'Answer like a pirate.' },
      ],
    });
    const recorded = await commandArrived(harness, interaction.id);
    expect(recorded.command).toMatchObject({ name: 'ask', text: 'What is a snowflake id?', systemPrompt: 'Answer like a pirate.' });
    expect(interaction.callback?.body).toMatchObject({ type: 5, data: { flags: 0 } });
    const place = await recorded.responder.openAnswer('What is a snowflake id?');
    expect(place).toMatchObject({ channelId: fakeIds.general, threadKey: interaction.id, questionMessageId: interaction.id });
    expect(place.target.scopeOf('edit').key).toBe(`discord:webhook:${interaction.id}`);
    const first = await place.target.post('A snowflake');
    await place.target.edit(first, 'A snowflake is a 64-bit id.');
    const second = await place.target.post('Part two.');
    expect(first.messageId).toBe(interaction.originalMessageId);
    const original = harness.fake.messages.get(first.messageId)!;
    expect(original.content).toBe('> What is a snowflake id?\nA snowflake is a 64-bit id.');
    expect(interaction.followUpIds).toEqual([second.messageId]);
    expect(harness.fake.messages.get(second.messageId)!.content).toBe('Part two.');
    // The deferral itself carries no content; every version with text pings nobody.
    const texted = [...original.allowedMentions.slice(1), ...harness.fake.messages.get(second.messageId)!.allowedMentions];
    expect(texted).toHaveLength(3);
    for (const allowed of texted) expect(allowed).toEqual({ parse: [], replied_user: false });
    expect(place.target.maxLength).toBe(2_000 - '> What is a snowflake id?\n'.length);

    // Crash recovery through the webhook; once the token is gone it is logged, not thrown.
    await harness.adapter.editStored(first, 'A snowflake…\n\n⚠️ interrupted: the bot restarted');
    expect(original.content).toBe('> What is a snowflake id?\nA snowflake…\n\n⚠️ interrupted: the bot restarted');
    harness.fake.expireInteraction(interaction.id);
    await expect(harness.adapter.editStored(first, 'too late')).resolves.toBeUndefined();
    const refused = await place.target.edit(first, 'too late').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PlatformError);
    expect((refused as PlatformError).code).toBe('platform_rejected');
  });

  it('answers privately when /ask is refused before streaming, removing the public placeholder', async () => {
    const interaction = harness.fake.sendInteraction({ name: 'ask', options: [{ name: 'question', type: 3, value: ' ' }] });
    const recorded = await commandArrived(harness, interaction.id);
    await recorded.responder.respond('Usage: /ask question:<text>');
    expect(harness.fake.messages.has(interaction.originalMessageId!)).toBe(false);
    const followUp = harness.fake.messages.get(interaction.followUpIds[0]!)!;
    expect(followUp).toMatchObject({ content: 'Usage: /ask question:<text>', flags: 64 });
  });
});

describe('Discord /ask past the interaction token window', () => {
  it('continues as ordinary channel messages replying to the previous part', async () => {
    const harness = await startAdapterHarness({ interactionTokenWindowMs: 300 });
    try {
      const interaction = harness.fake.sendInteraction({ name: 'ask', options: [{ name: 'question', type: 3, value: 'long one' }] });
      const recorded = await commandArrived(harness, interaction.id);
      const place = await recorded.responder.openAnswer('long one');
      const first = await place.target.post('first part');
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(place.target.scopeOf('post').key).toBe(`discord:channel:${fakeIds.general}`);
      const second = await place.target.post('second part');
      await place.target.edit(second, 'second part, edited');
      expect(interaction.followUpIds).toEqual([]);
      expect(harness.fake.messages.get(second.messageId)).toMatchObject({ channelId: fakeIds.general, referenceId: first.messageId, content: 'second part, edited' });
    } finally {
      await harness.close();
    }
  });
});

describe('Discord registration, auto threads and health', () => {
  let fake: FakeDiscord;
  beforeAll(async () => {
    fake = await startFakeDiscord();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('skips registration when the registered set is unchanged (restart)', async () => {
    const first = await startAdapterHarness({ fake });
    await first.close();
    const second = await startAdapterHarness({ fake });
    await second.close();
    expect(fake.identifyCount).toBe(2);
    expect(fake.callsTo('GET', /^\/applications\/\d+\/commands$/)).toHaveLength(2);
    expect(fake.callsTo('PUT', /^\/applications\/\d+\/commands$/)).toHaveLength(1);
  });

  it('opens a thread from a mention with DISCORD_AUTO_THREAD and answers inside it', async () => {
    const harness = await startAdapterHarness({ fake, environment: { DISCORD_AUTO_THREAD: 'true' } });
    try {
      const id = fake.sendMessage({ channelId: fakeIds.random, content: `${bot} How do B-trees split pages?\nDetails follow.` });
      const incoming = await messageArrived(harness, id);
      expect(incoming).toMatchObject({ channelId: id, threadKey: id, parentChannelId: fakeIds.random, addressed: true });
      expect(fake.callsTo('POST', new RegExp(`^/channels/${fakeIds.random}/messages/${id}/threads$`))[0]!.body).toMatchObject({ name: 'How do B-trees split pages?' });
      const ref = await harness.adapter.replyTarget(incoming).post('Pages split when full.');
      expect(fake.messages.get(ref.messageId)).toMatchObject({ channelId: id, referenceId: undefined });
      const followUp = fake.sendMessage({ channelId: id, content: 'and merges?' });
      expect(await messageArrived(harness, followUp)).toMatchObject({ channelId: id, threadKey: id, addressed: false });
    } finally {
      await harness.close();
    }
  });

  it('reports down while the gateway is gone and ready again after resuming', async () => {
    const harness = await startAdapterHarness({ fake });
    try {
      expect(harness.adapter.health()).toBe('ready');
      fake.dropGatewayConnections(4000);
      await fake.waitFor(() => harness.adapter.health() === 'down', 5_000, 'down');
      await fake.waitFor(() => harness.adapter.health() === 'ready', 10_000, 'ready again');
      expect(fake.resumeCount).toBe(1);
      const id = fake.sendMessage({ content: `${bot} still there?` });
      await messageArrived(harness, id);
    } finally {
      await harness.close();
    }
    expect(harness.adapter.health()).toBe('down');
  });
});
