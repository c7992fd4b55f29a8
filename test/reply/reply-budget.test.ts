import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/logger.js';
import { ReplyRenderer } from '../../src/reply/reply-renderer.js';
import { FakeReplyTarget, FakeScope, type FakeCall } from '../fakes/fake-reply-target.js';
import { fencesBalanced, markdownAnswer, reassemble } from './reply-checks.js';
import { feed, isInterim } from './stream-feeder.js';

/**
 * Slack's chat.update budget (burst 20, 50 per minute per workspace) with time running
 * `timeScale` times faster: refill, edit interval and stream lengths all scaled alike, so the
 * contention is the real one and the test takes seconds instead of minutes.
 */
const timeScale = 20;
const editIntervalMs = 1_000 / timeScale;

interface Run {
  target: FakeReplyTarget;
  answer: string;
  endedAt: number;
}

describe('ReplyRenderer: 30 replies in one scope (burst 20, 50/min, time x20)', () => {
  it('ends every reply exact, gives each interim edits, sends finals first and draws no 429', async () => {
    const workspace = new FakeScope('slack:update:T-budget', 20, (50 / 60) * timeScale);
    const channels = Array.from({ length: 30 }, (_, index) => new FakeScope(`slack:post:C${index}`, 3, timeScale));
    const renderer = new ReplyRenderer({ logger: createSilentLogger() });
    const runs = await Promise.all(
      channels.map(async (channel, index): Promise<Run> => {
        const target = new FakeReplyTarget({ name: `reply-${index}`, maxLength: 12_000, postScope: channel, editScope: workspace, minEditIntervalMs: editIntervalMs, latencyMs: { min: 2, max: 8 } });
        // Half the replies stream for about a second, the other half for about two.
        const answer = markdownAnswer(index < 15 ? 1_500 : 3_000, index + 1);
        const handle = renderer.start(target);
        await feed(handle, answer, { chunkSize: 15, everyMs: 10 });
        const endedAt = performance.now();
        const outcome = await handle.complete();
        expect(outcome.delivered).toBe(true);
        return { target, answer, endedAt };
      }),
    );

    expect(workspace.rateLimited).toBe(0);
    expect(channels.every((channel) => channel.rateLimited === 0)).toBe(true);
    for (const { target, answer } of runs) {
      const texts = target.texts();
      expect(texts.every((text) => !isInterim(text) && fencesBalanced(text))).toBe(true);
      expect(reassemble(texts, answer)).toBe(answer);
      expect(target.messageCalls().filter((call) => call.kind === 'edit' && isInterim(call.text)).length).toBeGreaterThan(0);
    }
    expect(finalsOvertakenByInterims(runs, workspace.calls)).toEqual([]);
  }, 60_000);
});

/**
 * Interim edits sent while another reply's final edit was ready (its stream had ended, its
 * edit interval had passed, nothing of it was in flight) and still waiting.
 */
function finalsOvertakenByInterims(runs: readonly Run[], scopeCalls: readonly FakeCall[]): string[] {
  const slackMs = 20;
  const overtaken: string[] = [];
  for (const { target, endedAt } of runs) {
    const calls = target.messageCalls();
    const finalCall = calls.at(-1);
    if (finalCall === undefined) continue;
    const before = calls.slice(0, -1);
    const readyAt = Math.max(
      endedAt,
      ...before.map((call) => call.startedAt + target.minEditIntervalMs),
      ...before.map((call) => call.endedAt ?? 0),
    );
    for (const call of scopeCalls) {
      if (isInterim(call.text) && call.startedAt > readyAt + slackMs && call.startedAt < finalCall.startedAt) {
        overtaken.push(`${call.target} interim at ${call.startedAt.toFixed(0)} before ${target.name}'s final (ready ${readyAt.toFixed(0)})`);
      }
    }
  }
  return overtaken;
}
