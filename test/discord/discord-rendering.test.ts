import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/logger.js';
import { ReplyRenderer } from '../../src/reply/reply-renderer.js';
import type { ReplyHandle } from '../../src/reply/types.js';
import { fakeIds } from '../fakes/fake-discord.js';
import { messageArrived, startAdapterHarness, type AdapterHarness } from './discord-harness.js';
import { fenceLineCount, joinParts, longAnswerWithCode, replyChain } from './discord-parts.js';

const bot = `<@${fakeIds.bot}>`;

/** Streams `answer` into a reply at roughly `charsPerMs`, as a fast model would. */
async function stream(handle: ReplyHandle, answer: string, chunk = 40, pauseMs = 5): Promise<void> {
  for (let index = 0; index < answer.length; index += chunk) {
    handle.append(answer.slice(index, index + chunk));
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

describe('Discord reply target with the real renderer', () => {
  let harness: AdapterHarness;
  let renderer: ReplyRenderer;

  beforeAll(async () => {
    harness = await startAdapterHarness({ editIntervalMs: 100 });
    renderer = new ReplyRenderer({ logger: createSilentLogger() });
  });
  afterAll(async () => {
    await harness?.close();
  });

  async function question(channelId: string, text: string) {
    const id = harness.fake.sendMessage({ channelId, content: `${bot} ${text}` });
    return messageArrived(harness, id);
  }

  it('splits a 5,000-character answer with code into chained messages within 2,000 characters, fences balanced', async () => {
    const answer = longAnswerWithCode(5_000);
    const incoming = await question(fakeIds.general, 'explain WAL with code');
    const handle = renderer.start(harness.adapter.replyTarget(incoming));
    await stream(handle, answer, 100, 5);
    const outcome = await handle.complete();
    expect(outcome.delivered).toBe(true);
    const chain = replyChain(harness.fake.botMessages(fakeIds.general), incoming.messageId);
    expect(chain.length).toBeGreaterThanOrEqual(3);
    expect(chain.map((message) => message.id)).toEqual(outcome.parts.map((part) => part.messageId));
    for (const message of chain) {
      expect(message.content.length).toBeLessThanOrEqual(2_000);
      expect(fenceLineCount(message.content) % 2).toBe(0);
      for (const allowed of message.allowedMentions) expect(allowed).toEqual({ parse: [], replied_user: false });
    }
    expect(joinParts(chain.map((message) => message.content), answer)).toBe(answer);
    expect(chain[0]!.history.length).toBeGreaterThan(1);
  });

  it('streams several replies at once in one channel to their exact answers without a 429', async () => {
    const before = harness.fake.rateLimitedCalls.length;
    const answers = ['alpha ', 'bravo ', 'charlie '].map((word) => word.repeat(120).trim());
    const questions = await Promise.all(answers.map((_, index) => question(fakeIds.random, `question ${index}`)));
    const outcomes = await Promise.all(
      questions.map(async (incoming, index) => {
        const handle = renderer.start(harness.adapter.replyTarget(incoming));
        await stream(handle, answers[index]!, 30, 10);
        return handle.complete();
      }),
    );
    for (const [index, outcome] of outcomes.entries()) {
      expect(outcome.delivered).toBe(true);
      const chain = replyChain(harness.fake.botMessages(fakeIds.random), questions[index]!.messageId);
      expect(joinParts(chain.map((message) => message.content), answers[index]!)).toBe(answers[index]);
    }
    expect(harness.fake.rateLimitedCalls.length).toBe(before);
  });

  it('still ends with the exact answer after a forced 429', async () => {
    const answer = 'The quick brown fox jumps over the lazy dog. '.repeat(20).trim();
    const incoming = await question(fakeIds.thread, 'a fox story');
    const handle = renderer.start(harness.adapter.replyTarget(incoming));
    handle.append(answer.slice(0, 100));
    await harness.fake.waitFor(() => harness.fake.botMessages(fakeIds.thread).some((message) => message.referenceId === incoming.messageId), 5_000, 'first part');
    harness.fake.forceRateLimit({ channelId: fakeIds.thread, retryAfterSeconds: 0.3 });
    await stream(handle, answer.slice(100), 50, 10);
    const outcome = await handle.complete();
    expect(outcome.delivered).toBe(true);
    expect(harness.fake.rateLimitedCalls.some((call) => call.path.startsWith(`/channels/${fakeIds.thread}/`))).toBe(true);
    const chain = replyChain(harness.fake.botMessages(fakeIds.thread), incoming.messageId);
    expect(chain.map((message) => message.content)).toEqual([answer]);
  });
});
