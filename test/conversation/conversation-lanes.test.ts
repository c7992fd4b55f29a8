import { describe, expect, it } from 'vitest';
import { ConversationLanes } from '../../src/conversation/conversation-lanes.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ConversationLanes', () => {
  it('runs one key in order and different keys at the same time', async () => {
    const depths: number[] = [];
    const lanes = new ConversationLanes((depth) => depths.push(depth));
    const events: string[] = [];
    const job = (name: string, ms: number) => async () => {
      events.push(`start ${name}`);
      await tick(ms);
      events.push(`end ${name}`);
    };
    lanes.enqueue(1, job('a1', 30));
    lanes.enqueue(1, job('a2', 5));
    lanes.enqueue(2, job('b1', 5));
    expect(await lanes.whenIdle(2_000)).toBe(true);
    expect(events.indexOf('start b1')).toBeLessThan(events.indexOf('end a1'));
    expect(events.indexOf('end a1')).toBeLessThan(events.indexOf('start a2'));
    expect(depths).toEqual([1, 0]);
  });

  it('keeps going after a job throws', async () => {
    const lanes = new ConversationLanes();
    const ran: string[] = [];
    lanes.enqueue(1, async () => {
      throw new Error('boom');
    });
    lanes.enqueue(1, async () => {
      ran.push('second');
    });
    expect(await lanes.whenIdle(1_000)).toBe(true);
    expect(ran).toEqual(['second']);
  });

  it('replace aborts the running job, drops the waiting ones and runs the new one', async () => {
    const lanes = new ConversationLanes();
    const seen: string[] = [];
    lanes.enqueue(1, (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => {
      seen.push(`aborted: ${String(signal.reason)}`);
      resolve();
    })));
    lanes.enqueue(1, async (signal) => {
      seen.push(signal.aborted ? 'waiting one saw abort' : 'waiting one ran');
    });
    lanes.replace(1, async () => {
      seen.push('newest');
    }, 'a newer message arrived');
    expect(await lanes.whenIdle(1_000)).toBe(true);
    expect(seen).toEqual(['aborted: a newer message arrived', 'newest']);
  });

  it('whenIdle reports false when work outlasts the timeout', async () => {
    const lanes = new ConversationLanes();
    lanes.enqueue(1, async () => {
      await tick(200);
    });
    expect(await lanes.whenIdle(20)).toBe(false);
    expect(await lanes.whenIdle(1_000)).toBe(true);
  });
});
