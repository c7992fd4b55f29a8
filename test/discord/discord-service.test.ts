import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.js';
import { fakeIds, fakePermissions, fakeUsers, startFakeDiscord, type FakeDiscord } from '../fakes/fake-discord.js';
import { startFakeGroq, type FakeGroq, type RecordedRequest } from '../fakes/fake-groq.js';
import { fenceLineCount, joinParts, longAnswerWithCode } from './discord-parts.js';
import { groqMessages, startDiscordService, temporaryDatabase, waitForAnswer } from './discord-service-harness.js';

const bot = `<@${fakeIds.bot}>`;

describe('groqbot on Discord, end to end (real discord.js, fake Discord, fake Groq)', () => {
  let discord: FakeDiscord;
  let groq: FakeGroq;
  let database: ReturnType<typeof temporaryDatabase>;
  let service: RunningService;
  /** Scripted answers by question text; anything else gets the fake's echo. */
  const answers = new Map<string, string>();

  function lastUserText(request: RecordedRequest): string {
    return groqMessages(request).filter((message) => message.role === 'user').at(-1)?.content ?? '';
  }

  function requestFor(question: string): RecordedRequest | undefined {
    return groq.requests.find((request) => lastUserText(request) === question);
  }

  async function ask(options: { channelId?: string; dm?: boolean; content: string; replyTo?: string; author?: typeof fakeUsers.ada }, question: string, answer: string) {
    answers.set(question, answer);
    const id = discord.sendMessage(options);
    const channelId = options.channelId ?? (options.dm ? fakeIds.adaDm : fakeIds.general);
    const chain = await waitForAnswer(discord, channelId, id, answer, (parts) => joinParts(parts, answer));
    // The fake shows a post before its HTTP response reaches the bot, which then records it:
    // a person cannot reply that fast, a test can, so let the reply finish first.
    await service.engine.whenIdle(5_000);
    return { id, chain, request: requestFor(question)! };
  }

  beforeAll(async () => {
    discord = await startFakeDiscord();
    groq = await startFakeGroq();
    groq.setFallback((request) => {
      const question = lastUserText(request);
      return { kind: 'text', text: answers.get(question) ?? `You said: ${question}`, tokensPerSecond: 400 };
    });
    database = temporaryDatabase();
    service = await startDiscordService({ discord, groq, databasePath: database.databasePath });
  });

  afterAll(async () => {
    await service?.stop();
    await groq?.close();
    await discord?.close();
    database?.remove();
  });

  it('answers a mention with a reply edited while streaming that ends with the exact answer', async () => {
    const answer = 'WAL lets readers proceed while a writer appends to the log. '.repeat(8).trim();
    const { id, chain, request } = await ask({ content: `${bot} what does PRAGMA journal_mode=WAL change?` }, 'what does PRAGMA journal_mode=WAL change?', answer);
    expect(chain).toHaveLength(1);
    expect(chain[0]!.referenceId).toBe(id);
    expect(chain[0]!.history.length).toBeGreaterThan(1);
    expect(request).toBeDefined();
  });

  it('carries the history when replying to the bot, without and with a mention', async () => {
    const first = await ask({ content: `${bot} name a fruit` }, 'name a fruit', 'Apple.');
    const second = await ask({ content: 'why that one?', replyTo: first.chain[0]!.id }, 'why that one?', 'Because it is crisp.');
    expect(groqMessages(second.request).filter((message) => message.role !== 'system')).toEqual([
      { role: 'user', content: 'name a fruit' },
      { role: 'assistant', content: 'Apple.' },
      { role: 'user', content: 'why that one?' },
    ]);
    const third = await ask({ content: `${bot} and another?`, replyTo: second.chain[0]!.id }, 'and another?', 'Pear.');
    expect(groqMessages(third.request).filter((message) => message.role !== 'system').map((message) => message.content)).toEqual([
      'name a fruit',
      'Apple.',
      'why that one?',
      'Because it is crisp.',
      'and another?',
    ]);
  });

  it('holds a thread conversation: a mention starts it, plain messages continue it', async () => {
    await ask({ channelId: fakeIds.thread, content: `${bot} what is a checkpoint?` }, 'what is a checkpoint?', 'Copying the WAL back into the database.');
    const followUp = await ask({ channelId: fakeIds.thread, content: 'how often?' }, 'how often?', 'About every 1000 pages.');
    expect(groqMessages(followUp.request).filter((message) => message.role !== 'system').map((message) => message.content)).toEqual([
      'what is a checkpoint?',
      'Copying the WAL back into the database.',
      'how often?',
    ]);
  });

  it('answers a DM and its follow-up in one conversation, and /reset starts a fresh one', async () => {
    await ask({ dm: true, content: 'hi, can you explain CRDTs?' }, 'hi, can you explain CRDTs?', 'Replicated data types that merge.');
    const followUp = await ask({ dm: true, content: 'give an example' }, 'give an example', 'A grow-only counter.');
    expect(groqMessages(followUp.request).filter((message) => message.role !== 'system').map((message) => message.content)).toEqual([
      'hi, can you explain CRDTs?',
      'Replicated data types that merge.',
      'give an example',
    ]);
    const reset = discord.sendInteraction({ name: 'reset', dm: true });
    await discord.waitFor(() => reset.originalMessageId !== undefined && discord.messages.get(reset.originalMessageId)!.content.startsWith('Done'), 10_000, '/reset answer');
    expect(reset.callback!.body).toMatchObject({ type: 5, data: { flags: 64 } });
    const fresh = await ask({ dm: true, content: 'what did I ask first?' }, 'what did I ask first?', 'I do not know.');
    expect(groqMessages(fresh.request).filter((message) => message.role !== 'system').map((message) => message.content)).toEqual(['what did I ask first?']);
  });

  it('ignores @everyone, its own echoed posts and other bots', async () => {
    const before = groq.requests.length;
    discord.sendMessage({ content: '@everyone standup in 5' });
    discord.sendMessage({ content: `${bot} ping from another bot`, author: fakeUsers.otherBot });
    await ask({ content: `${bot} marker question` }, 'marker question', 'Marker answer.');
    // The marker's answer (and its echo) went through; nothing else reached Groq.
    expect(groq.requests.length).toBe(before + 1);
    expect(groq.requests.slice(before).map(lastUserText)).toEqual(['marker question']);
  });

  it('splits a 5,000-character answer with a code block into at least three messages, fences balanced', async () => {
    const answer = longAnswerWithCode(5_000);
    const { chain } = await ask({ channelId: fakeIds.random, content: `${bot} show me a long example` }, 'show me a long example', answer);
    expect(chain.length).toBeGreaterThanOrEqual(3);
    for (const message of chain) {
      expect(message.content.length).toBeLessThanOrEqual(2_000);
      expect(fenceLineCount(message.content) % 2).toBe(0);
    }
  });

  it('defers /ask within 3 s and streams it past 2,000 characters into follow-ups', async () => {
    const question = 'Explain B-trees in depth';
    const answer = 'A B-tree keeps keys sorted in wide nodes so lookups touch few pages. '.repeat(45).trim();
    answers.set(question, answer);
    const interaction = discord.sendInteraction({ name: 'ask', options: [{ name: 'question', type: 3, value: question }] });
    await discord.waitFor(() => interaction.callback, 5_000, 'deferral');
    expect(interaction.callback!.at - interaction.sentAt).toBeLessThan(3_000);
    expect(interaction.callback!.body).toMatchObject({ type: 5, data: { flags: 0 } });
    const header = `> ${question}\n`;
    await discord.waitFor(
      () => {
        const original = discord.messages.get(interaction.originalMessageId ?? '');
        if (!original || interaction.followUpIds.length === 0) return false;
        const parts = [original.content.slice(header.length), ...interaction.followUpIds.map((id) => discord.messages.get(id)!.content)];
        return original.content.startsWith(header) && joinParts(parts, answer) === answer;
      },
      15_000,
      'the /ask answer',
    );
    await service.engine.whenIdle(5_000);
    const original = discord.messages.get(interaction.originalMessageId!)!;
    expect(original.history.length).toBeGreaterThan(2);
    for (const id of [original.id, ...interaction.followUpIds]) expect(discord.messages.get(id)!.content.length).toBeLessThanOrEqual(2_000);

    // A reply to the answer continues the /ask conversation.
    const followUp = await ask({ content: 'shorter please', replyTo: original.id }, 'shorter please', 'Wide sorted nodes.');
    expect(groqMessages(followUp.request).filter((message) => message.role !== 'system').map((message) => message.content)).toEqual([
      question,
      answer,
      'shorter please',
    ]);
  });

  it('/system set reaches Groq as the channel system prompt, and is refused without Manage Channels', async () => {
    const refused = discord.sendInteraction({
      name: 'system',
      user: fakeUsers.bob,
      permissions: fakePermissions.withoutManageChannels,
      options: [{ name: 'set', type: 1, options: [{ name: 'prompt', type: 3, value: 'You are a parrot.' }] }],
    });
    await discord.waitFor(() => discord.messages.get(refused.originalMessageId ?? '')?.content.includes('Manage Channels'), 10_000, 'refusal');

    const set = discord.sendInteraction({
      name: 'system',
      options: [{ name: 'set', type: 1, options: [{ name: 'prompt', type: 3, value: 'You are a pirate named Quill.' }] }],
    });
    await discord.waitFor(() => discord.messages.get(set.originalMessageId ?? '')?.content.startsWith('Saved'), 10_000, 'saved');
    expect(discord.messages.get(set.originalMessageId!)!.flags & 64).toBe(64);

    const { request } = await ask({ channelId: fakeIds.general, content: `${bot} who are you?` }, 'who are you?', 'Quill, arr.');
    const system = groqMessages(request).find((message) => message.role === 'system')!;
    expect(system.content).toContain('You are a pirate named Quill.');
    expect(system.content).not.toContain('parrot');
  });

  it('streams several replies at once in one channel to their exact answers without a 429', async () => {
    const before = discord.rateLimitedCalls.length;
    const questions = ['first of three', 'second of three', 'third of three'];
    const results = await Promise.all(
      questions.map((question, index) => ask({ channelId: fakeIds.random, content: `${bot} ${question}` }, question, `Answer ${index}: ${'lorem ipsum dolor '.repeat(30).trim()}`)),
    );
    expect(results).toHaveLength(3);
    expect(discord.rateLimitedCalls.length).toBe(before);
  });

  it('still ends with the exact answer after a forced 429', async () => {
    discord.forceRateLimit({ channelId: fakeIds.thread, count: 1, retryAfterSeconds: 0.5 });
    const before = discord.rateLimitedCalls.length;
    await ask({ channelId: fakeIds.thread, content: `${bot} tell a story` }, 'tell a story', 'Once upon a time there was a write-ahead log. '.repeat(6).trim());
    expect(discord.rateLimitedCalls.length).toBe(before + 1);
  });

  it('sends every message and edit with allowed mentions that ping nobody', () => {
    const sent = discord.calls.filter(
      (call) => (call.method === 'POST' || call.method === 'PATCH') && /^\/(channels\/\d+\/messages(\/\d+)?|webhooks\/\d+\/[^/]+(\/messages\/.+)?)$/.test(call.path),
    );
    expect(sent.length).toBeGreaterThan(20);
    for (const call of sent) expect((call.body as { allowed_mentions?: unknown }).allowed_mentions).toEqual({ parse: [], replied_user: false });
  });
});

describe('slash command registration across restarts', () => {
  it('registers once and skips registration when the set is unchanged', async () => {
    const discord = await startFakeDiscord();
    const groq = await startFakeGroq();
    const database = temporaryDatabase();
    try {
      const first = await startDiscordService({ discord, groq, databasePath: database.databasePath });
      await first.stop();
      const second = await startDiscordService({ discord, groq, databasePath: database.databasePath });
      await second.stop();
      expect(discord.identifyCount).toBe(2);
      expect(discord.callsTo('GET', /^\/applications\/\d+\/commands$/)).toHaveLength(2);
      expect(discord.callsTo('PUT', /^\/applications\/\d+\/commands$/)).toHaveLength(1);
    } finally {
      await groq.close();
      await discord.close();
      database.remove();
    }
  });
});
