import type { Platform } from '../src/platform.js';
import { openStore } from '../src/store/open-store.js';
import { TokenCounter } from '../src/tokens/token-counter.js';
import { fakeIds } from '../test/fakes/fake-discord.js';
import { tokenize } from '../test/fakes/fake-groq.js';
import { fakeSlackIds } from '../test/fakes/fake-slack.js';

/** One conversation of a round: where it lives, what it already holds, what is asked and answered. */
export interface PlannedConversation {
  platform: Platform;
  /** Short tag, unique in the round (`s07`, `d12`). */
  tag: string;
  channelId: string;
  /** Slack: the thread's root ts; Discord: the reply chain's root message id. */
  threadKey: string;
  /** Platform ids of the stored user messages, oldest first (Slack ts, Discord snowflakes). */
  storedUserMessageIds: string[];
  /** Discord: the newest stored user message, which the new message replies to (continuing the chain). */
  replyToMessageId?: string;
  /** The new message's text (unique: the fake Groq answers by it). */
  question: string;
  /** What the fake Groq streams back: exactly `answerTokens` chunks. */
  answer: string;
}

/** Shape of a round's load. */
export interface PlanOptions {
  slackConversations: number;
  slackChannels: number;
  discordConversations: number;
  discordChannels: number;
  historyMessages: number;
  answerTokens: number;
}

const words = ['the', 'bot', 'sends', 'each', 'edit', 'with', 'whole', 'text', 'so', 'a', 'late', 'one', 'never', 'goes', 'back', 'rate', 'limits', 'set', 'pace', 'Groq', 'is', 'fast', 'and', 'tokens', 'flow', 'to', 'chat', 'users', 'see', 'it', 'grow', 'in', 'place'];

/** Deterministic word source, so every run streams the same answers. */
function wordSource(seed: number): () => string {
  let state = seed * 7_919 + 17;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return words[state % words.length] ?? 'word';
  };
}

/** An answer of exactly `count` fake-Groq chunks: `Reply <tag>` then sentences, some paragraphs. */
export function answerOf(tag: string, seed: number, count: number): string {
  const word = wordSource(seed);
  const pieces = ['Reply', ` ${tag}`];
  let sentenceLength = 0;
  while (pieces.length < count - 1) {
    if (sentenceLength >= 11) {
      pieces.push(sentenceLength % 2 === 0 ? '.' : ',');
      sentenceLength = 0;
      continue;
    }
    pieces.push(`${pieces.length % 97 === 0 ? '\n\n' : ' '}${word()}`);
    sentenceLength += 1;
  }
  pieces.push('.');
  const text = pieces.join('');
  const chunks = tokenize(text).length;
  if (chunks !== count) throw new Error(`answer for ${tag} has ${chunks} chunks, not ${count}`);
  return text;
}

function sentence(word: () => string, length: number): string {
  const text = Array.from({ length }, word).join(' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** Slack channel ids of the round (one workspace). */
export function slackChannelIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `C0BENCH${String(index).padStart(3, '0')}`);
}

/** Discord text channel ids of the round (one guild), added to the fake. */
export function discordChannelIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `13200000000000${String(index).padStart(5, '0')}`);
}

/** Tag letters of each burst's conversations (a tag stays one token for the fake Groq's tokenizer). */
const burstLetters = [
  { slack: 's', discord: 'd' },
  { slack: 'u', discord: 'e' },
];

/**
 * Lays out one burst's conversations: Slack threads over a few channels, Discord reply chains over
 * others. Each burst of a round (`burst` 0, 1, …) has conversations of its own, in the same channels.
 */
export function planConversations(options: PlanOptions, burst = 0): PlannedConversation[] {
  const letters = burstLetters[burst];
  if (letters === undefined) throw new Error(`no tag letters for burst ${burst}`);
  const planned: PlannedConversation[] = [];
  const slackChannels = slackChannelIds(options.slackChannels);
  const discordChannels = discordChannelIds(options.discordChannels);
  const turns = Array.from({ length: options.historyMessages / 2 }, (_, turn) => turn);
  for (let index = 0; index < options.slackConversations; index += 1) {
    const tag = `${letters.slack}${String(index).padStart(2, '0')}`;
    // The thread's root is its first stored message; later ones are replies in it.
    const storedUserMessageIds = turns.map((turn) => `${1_764_000_000 + burst * 1_000 + index}.${String(turn).padStart(6, '0')}`);
    planned.push({
      platform: 'slack',
      tag,
      channelId: slackChannels[index % slackChannels.length] as string,
      threadKey: storedUserMessageIds[0] as string,
      storedUserMessageIds,
      question: `Benchmark question ${tag}: how does the reply keep up?`,
      answer: answerOf(tag, burst * 2_000 + index + 1, options.answerTokens),
    });
  }
  for (let index = 0; index < options.discordConversations; index += 1) {
    const tag = `${letters.discord}${String(index).padStart(2, '0')}`;
    // 19-digit snowflakes; the chain's root is its first stored message.
    const storedUserMessageIds = turns.map((turn) => `133${burst}${String(index).padStart(3, '0')}${String(turn).padStart(12, '0')}`);
    planned.push({
      platform: 'discord',
      tag,
      channelId: discordChannels[index % discordChannels.length] as string,
      threadKey: storedUserMessageIds[0] as string,
      storedUserMessageIds,
      replyToMessageId: storedUserMessageIds.at(-1),
      question: `Benchmark question ${tag}: how does the reply keep up?`,
      answer: answerOf(tag, burst * 2_000 + 1_000 + index, options.answerTokens),
    });
  }
  return planned;
}

/**
 * Writes the earlier turns (one user and one assistant message per stored user message id, all complete) into each
 * conversation, through the service's own repository on the database it will open.
 */
export function seedHistories(databasePath: string, conversations: PlannedConversation[], model: string): void {
  const repository = openStore(databasePath, { tokenCounter: new TokenCounter() });
  try {
    for (const [index, conversation] of conversations.entries()) {
      const word = wordSource(50_000 + index);
      const stored = repository.findOrCreateActiveConversation({
        platform: conversation.platform,
        workspaceId: conversation.platform === 'slack' ? fakeSlackIds.teamId : fakeIds.guild,
        channelId: conversation.channelId,
        threadKey: conversation.threadKey,
      });
      for (const [turn, platformMessageId] of conversation.storedUserMessageIds.entries()) {
        const appended = repository.appendUserMessage({
          conversationId: stored.id,
          platform: conversation.platform,
          channelId: conversation.channelId,
          content: `${sentence(word, 14)} ${sentence(word, 10)}?`,
          authorId: conversation.platform === 'slack' ? 'U0ADA00001' : fakeIds.ada,
          platformMessageId,
          model,
        });
        if (appended.status !== 'stored') throw new Error(`seeding ${conversation.tag}: turn ${turn} was a duplicate`);
        const reply = repository.startAssistantReply(stored.id, model, appended.message.id);
        repository.finishAssistantReply(reply.id, {
          status: 'complete',
          content: `${sentence(word, 16)} ${sentence(word, 18)} ${sentence(word, 12)}`,
          model,
        });
      }
    }
  } finally {
    repository.close();
  }
}
