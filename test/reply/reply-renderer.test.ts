import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/logger.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { ReplyRenderer } from '../../src/reply/reply-renderer.js';
import type { PartLanded } from '../../src/reply/types.js';
import { FakeReplyTarget, FakeScope, type FakeCall } from '../fakes/fake-reply-target.js';
import { fencesBalanced, markdownAnswer, reassemble } from './reply-checks.js';
import { answerPrefixOf, feed, isInterim } from './stream-feeder.js';

let scopes = 0;
function scope(capacity: number, refillPerSecond: number): FakeScope {
  scopes += 1;
  return new FakeScope(`test-scope-${scopes}`, capacity, refillPerSecond);
}

function renderer(options: { metrics?: Metrics; finalRetryWindowMs?: number } = {}): ReplyRenderer {
  return new ReplyRenderer({ logger: createSilentLogger(), ...options });
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function counterValue(metrics: Metrics, name: 'rateLimited' | 'editsSent' | 'finalEditFailures'): Promise<number> {
  const data = await metrics[name].get();
  return data.values.reduce((sum, entry) => sum + entry.value, 0);
}

/** Successful posts and edits of each message, in the order they arrived. */
function callsByMessage(calls: readonly FakeCall[]): Map<string, FakeCall[]> {
  const byMessage = new Map<string, FakeCall[]>();
  for (const call of calls) {
    if (call.kind === 'indicate' || call.messageId === undefined) continue;
    byMessage.set(call.messageId, [...(byMessage.get(call.messageId) ?? []), call]);
  }
  return byMessage;
}

function expectIntervalsKept(target: FakeReplyTarget): void {
  for (const calls of callsByMessage(target.calls).values()) {
    for (let index = 1; index < calls.length; index += 1) {
      const gap = (calls[index]?.startedAt ?? 0) - (calls[index - 1]?.startedAt ?? 0);
      expect(gap).toBeGreaterThanOrEqual(target.minEditIntervalMs - 1);
    }
  }
}

/**
 * Every landed text of a message extends the one before, except the last: a part split off at a
 * good boundary may end before the text its last interim edit showed (the rest moves on).
 */
function expectNoStaleEdits(target: FakeReplyTarget): void {
  for (const calls of callsByMessage(target.calls).values()) {
    const landed = calls.filter((call) => call.outcome === 'ok');
    for (let index = 1; index < landed.length; index += 1) {
      const before = answerPrefixOf(landed[index - 1]?.text ?? '');
      const afterText = landed[index]?.text ?? '';
      const after = answerPrefixOf(afterText);
      if (before.startsWith('⏳') || before.startsWith('_thinking')) continue;
      const splitOff = index === landed.length - 1 && !isInterim(afterText) && before.startsWith(after);
      expect(after.startsWith(before) || splitOff).toBe(true);
    }
  }
}

function expectExactFinal(target: FakeReplyTarget, answer: string, limit: number): void {
  const texts = target.texts();
  for (const text of texts) {
    expect(text.length).toBeLessThanOrEqual(limit);
    expect(fencesBalanced(text)).toBe(true);
    expect(isInterim(text)).toBe(false);
  }
  expect(reassemble(texts, answer)).toBe(answer);
}

describe('ReplyRenderer: sign of life', () => {
  it('shows the typing indicator within 100 ms', async () => {
    const target = new FakeReplyTarget({ postScope: scope(3, 1), editScope: scope(20, 50 / 60) });
    const startedAt = performance.now();
    const handle = renderer().start(target);
    await waitFor(() => target.calls.length > 0);
    const first = target.calls[0];
    expect(first?.kind).toBe('indicate');
    expect(first?.state).toBe('typing');
    expect((first?.startedAt ?? Infinity) - startedAt).toBeLessThanOrEqual(100);
    handle.append('Hello.');
    const outcome = await handle.complete();
    expect(outcome.delivered).toBe(true);
    expect(target.texts()).toEqual(['Hello.']);
  });

  it('posts a placeholder within 100 ms when the target has no indicator', async () => {
    const target = new FakeReplyTarget({ postScope: scope(5, 1), indicator: false, minEditIntervalMs: 50 });
    const startedAt = performance.now();
    const handle = renderer().start(target);
    await waitFor(() => target.calls.length > 0);
    expect(target.calls[0]?.kind).toBe('post');
    expect((target.calls[0]?.startedAt ?? Infinity) - startedAt).toBeLessThanOrEqual(100);
    await waitFor(() => target.texts().length === 1);
    handle.append('The answer.');
    await handle.complete();
    expect(target.texts()).toEqual(['The answer.']);
  });
});

describe('ReplyRenderer: streaming', () => {
  it('edits at most once per interval with the real Slack numbers and ends exact', async () => {
    const target = new FakeReplyTarget({ platform: 'slack', postScope: scope(3, 1), editScope: scope(20, 50 / 60), minEditIntervalMs: 1_000, latencyMs: { min: 30, max: 80 } });
    const answer = markdownAnswer(2_500, 7);
    const handle = renderer().start(target);
    await feed(handle, answer, { chunkSize: 8, everyMs: 10 });
    const outcome = await handle.complete();
    expect(outcome.delivered).toBe(true);
    expectIntervalsKept(target);
    expectExactFinal(target, answer, target.maxLength);
    const interims = target.messageCalls().filter((call) => isInterim(call.text));
    expect(interims.length).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it.each([10, 5_000, 20_000])('delivers a %i-character answer exactly, split within the limit', async (length) => {
    const metrics = createMetrics();
    const channel = scope(5, 10);
    const target = new FakeReplyTarget({ platform: 'discord', maxLength: 2_000, postScope: channel, minEditIntervalMs: 100, latencyMs: { min: 2, max: 30 } });
    const answer = length === 10 ? 'Ten chars.' : markdownAnswer(length, length);
    const handle = renderer({ metrics }).start(target);
    await feed(handle, answer, { chunkSize: Math.max(1, Math.ceil(length / 400)), everyMs: 2 });
    const outcome = await handle.complete();
    expect(outcome.delivered).toBe(true);
    expect(outcome.parts.length).toBe(target.texts().length);
    expectExactFinal(target, answer, 2_000);
    if (length > 2_000) expect(target.texts().length).toBeGreaterThan(1);
    expectIntervalsKept(target);
    expectNoStaleEdits(target);
    expect(target.maxInFlightPerMessage).toBe(1);
    expect(channel.rateLimited).toBe(0);
    expect(await counterValue(metrics, 'editsSent')).toBe(target.messageCalls().length);
  }, 30_000);

  it('reports landed parts to the observer once per landed call, ending with the whole answer', async () => {
    const target = new FakeReplyTarget({ platform: 'discord', maxLength: 500, postScope: scope(5, 20), minEditIntervalMs: 60, latencyMs: 5 });
    const answer = markdownAnswer(1_800, 3);
    const posted: number[] = [];
    const landed: PartLanded[] = [];
    const handle = renderer().start(target, {
      onPartPosted: (index) => posted.push(index),
      onPartLanded: (part) => landed.push(part),
    });
    await feed(handle, answer, { chunkSize: 12, everyMs: 3 });
    await handle.complete();
    const parts = target.texts().length;
    expect(posted).toEqual(Array.from({ length: parts }, (_, index) => index));
    expect(landed.length).toBe(target.messageCalls().filter((call) => call.outcome === 'ok').length);
    for (let index = 0; index < parts; index += 1) {
      const last = landed.filter((part) => part.index === index).at(-1);
      expect(last?.final).toBe(true);
      expect(last?.text).toBe(target.texts()[index]);
    }
    expect(landed.at(-1)?.visibleAnswer).toBe(answer);
    for (const part of landed) expect(isInterim(part.text)).toBe(false);
  }, 20_000);
});

describe('ReplyRenderer: platform answers', () => {
  it('pauses the whole scope for the retry-after of a 429 and still ends exact', async () => {
    const metrics = createMetrics();
    const edits = scope(20, 5);
    const first = new FakeReplyTarget({ postScope: scope(3, 1), editScope: edits, minEditIntervalMs: 100, latencyMs: 10 });
    const second = new FakeReplyTarget({ postScope: scope(3, 1), editScope: edits, minEditIntervalMs: 100, latencyMs: 10 });
    first.failNext(1, 'rate_limited', { retryAfterMs: 500, call: 'edit' });
    const shared = renderer({ metrics });
    const answers = [markdownAnswer(1_200, 11), markdownAnswer(1_200, 12)];
    const handles = [shared.start(first), shared.start(second)];
    await Promise.all(handles.map((handle, index) => feed(handle, answers[index] ?? '', { chunkSize: 6, everyMs: 5 })));
    const outcomes = await Promise.all(handles.map((handle) => handle.complete()));
    expect(outcomes.every((outcome) => outcome.delivered)).toBe(true);
    const limited = edits.calls.find((call) => call.outcome === 'rate_limited');
    expect(limited?.endedAt).toBeDefined();
    const pausedUntil = (limited?.endedAt ?? 0) + 500;
    // Calls sent before the 429 came back could not know about it; after that, nothing until retry-after.
    const during = edits.calls.filter((call) => call.startedAt > (limited?.endedAt ?? 0) && call.startedAt < pausedUntil - 2);
    expect(during).toEqual([]);
    expect(edits.calls.some((call) => call.startedAt >= pausedUntil - 2)).toBe(true);
    expect(await counterValue(metrics, 'rateLimited')).toBe(1);
    expectExactFinal(first, answers[0] ?? '', first.maxLength);
    expectExactFinal(second, answers[1] ?? '', second.maxLength);
  }, 20_000);

  it('splits lower after a "too long" answer and remembers the lower limit for the target', async () => {
    const target = new FakeReplyTarget({ platform: 'discord', maxLength: 2_000, enforcedMaxLength: 1_500, postScope: scope(10, 20), minEditIntervalMs: 50, latencyMs: 3 });
    const shared = renderer();
    const answer = markdownAnswer(5_000, 21);
    const handle = shared.start(target);
    await feed(handle, answer, { chunkSize: 25, everyMs: 2 });
    expect((await handle.complete()).delivered).toBe(true);
    expect(target.calls.some((call) => call.outcome === 'too_long')).toBe(true);
    expectExactFinal(target, answer, 1_500);
    const learnt = shared.limitOf(target);
    expect(learnt).toBeLessThan(2_000);

    // The next reply on the same target object splits at the learnt limit from its first call.
    const callsBefore = target.calls.length;
    const again = shared.start(target);
    const secondAnswer = markdownAnswer(4_000, 22);
    await feed(again, secondAnswer, { chunkSize: 25, everyMs: 2 });
    expect((await again.complete()).delivered).toBe(true);
    for (const call of target.messageCalls().filter((call) => target.calls.indexOf(call) >= callsBefore)) {
      expect(call.text?.length ?? 0).toBeLessThanOrEqual(learnt);
    }
  }, 20_000);

  it('retries a failing final edit until it lands', async () => {
    const target = new FakeReplyTarget({ postScope: scope(5, 5), minEditIntervalMs: 30 });
    const handle = renderer().start(target);
    handle.append('Almost');
    await waitFor(() => target.texts().length === 1);
    target.failNext(2, 'unavailable', { call: 'edit' });
    handle.append(' there.');
    const outcome = await handle.complete();
    expect(outcome.delivered).toBe(true);
    expect(target.texts()).toEqual(['Almost there.']);
    expect(target.calls.filter((call) => call.outcome === 'unavailable').length).toBe(2);
  }, 20_000);

  it('gives up on a final edit after the retry window of failures, and counts it', async () => {
    const metrics = createMetrics();
    const target = new FakeReplyTarget({ postScope: scope(5, 5), minEditIntervalMs: 30 });
    const handle = renderer({ metrics, finalRetryWindowMs: 300 }).start(target);
    handle.append('Almost');
    await waitFor(() => target.texts().length === 1);
    target.failNext(1_000, 'unavailable', { call: 'edit' });
    handle.append(' there.');
    const outcome = await handle.complete();
    expect(outcome.delivered).toBe(false);
    expect(await counterValue(metrics, 'finalEditFailures')).toBe(1);
  }, 20_000);
});

describe('ReplyRenderer: endings', () => {
  it('keeps the partial text of an interrupted reply and adds the reason', async () => {
    const target = new FakeReplyTarget({ postScope: scope(5, 5), minEditIntervalMs: 30 });
    const handle = renderer().start(target);
    handle.append('Partial answer');
    await handle.interrupt('the connection to Groq was lost');
    expect(target.texts()).toEqual(['Partial answer\n\n⚠️ interrupted: the connection to Groq was lost']);
  });

  it('closes an open code block before the interruption line', async () => {
    const target = new FakeReplyTarget({ postScope: scope(5, 5), minEditIntervalMs: 30 });
    const handle = renderer().start(target);
    handle.append('Here:\n```ts\nconst a = 1');
    await handle.interrupt('stopped');
    expect(target.texts()).toEqual(['Here:\n```ts\nconst a = 1\n```\n\n⚠️ interrupted: stopped']);
  });

  it('turns the placeholder into the error message of a failed reply', async () => {
    const target = new FakeReplyTarget({ postScope: scope(5, 5), indicator: false, minEditIntervalMs: 30 });
    const handle = renderer().start(target);
    await waitFor(() => target.texts().length === 1);
    const outcome = await handle.fail('Groq is not answering right now; please try again.');
    expect(outcome.delivered).toBe(true);
    expect(target.texts()).toEqual(['Groq is not answering right now; please try again.']);
    expect(target.messageCalls().map((call) => call.kind)).toEqual(['post', 'edit']);
  });

  it('posts the error message of a failed reply when nothing was posted yet', async () => {
    const target = new FakeReplyTarget({ postScope: scope(5, 5), minEditIntervalMs: 30 });
    const handle = renderer().start(target);
    await handle.fail('Something went wrong.');
    expect(target.texts()).toEqual(['Something went wrong.']);
  });

  it('adds a note in italics below a completed answer', async () => {
    const target = new FakeReplyTarget({ postScope: scope(5, 5), minEditIntervalMs: 30 });
    const handle = renderer().start(target);
    handle.append('The answer.');
    await handle.complete({ note: 'older messages were left out' });
    expect(target.texts()).toEqual(['The answer.\n\n_older messages were left out_']);
  });

  it('says "thinking" through the indicator and never renders reasoning', async () => {
    const target = new FakeReplyTarget({ postScope: scope(5, 5), minEditIntervalMs: 30 });
    const handle = renderer().start(target);
    handle.thinking();
    await waitFor(() => target.calls.some((call) => call.kind === 'indicate' && call.state === 'thinking'));
    expect(target.messageCalls()).toEqual([]);
    handle.append('Result.');
    await handle.complete();
    expect(target.texts()).toEqual(['Result.']);
  });

  it('shows "thinking…" in the placeholder when the target has no indicator', async () => {
    const target = new FakeReplyTarget({ postScope: scope(5, 5), indicator: false, minEditIntervalMs: 30 });
    const handle = renderer().start(target);
    handle.thinking();
    await waitFor(() => target.texts()[0] === '_thinking…_');
    handle.append('Result.');
    await handle.complete();
    expect(target.texts()).toEqual(['Result.']);
  });
});
