import { describe, expect, it } from 'vitest';
import { RateScheduler, type CallUrgency, type RateWaiter } from '../../src/reply/rate-scheduler.js';

/** A waiter that is always ready and records when it was granted, on a manual clock. */
function waiter(clock: { now: number }, grants: number[], urgency: CallUrgency = 'interim'): RateWaiter {
  return {
    urgency,
    lastServedAt: 0,
    readyAt: 0,
    grant: () => {
      grants.push(clock.now);
      return true;
    },
  };
}

describe('RateScheduler', () => {
  const scope = { key: 'discord:channel:1', capacity: 5, refillPerSecond: 1 };

  it('after a burst, waits for the refill plus the slowest recent call', () => {
    const clock = { now: 0 };
    const scheduler = new RateScheduler(() => clock.now);
    const grants: number[] = [];
    for (let index = 0; index < 5; index += 1) scheduler.request(scope, waiter(clock, grants));
    expect(grants).toEqual([0, 0, 0, 0, 0]);
    // The calls took up to 400 ms to be answered: the platform may have counted them that late.
    for (const duration of [120, 400, 90]) scheduler.observeLatency(scope.key, duration);
    scheduler.request(scope, waiter(clock, grants));
    clock.now = 1_000;
    scheduler.request(scope, waiter(clock, grants));
    expect(grants).toHaveLength(5);
    clock.now = 1_399;
    scheduler.request(scope, waiter(clock, grants));
    expect(grants).toHaveLength(5);
    clock.now = 1_401;
    scheduler.request(scope, waiter(clock, grants));
    expect(grants).toHaveLength(6);
  });

  it('bounds the margin, so one very slow call cannot stall a scope', () => {
    const clock = { now: 0 };
    const scheduler = new RateScheduler(() => clock.now);
    const grants: number[] = [];
    for (let index = 0; index < 5; index += 1) scheduler.request(scope, waiter(clock, grants));
    scheduler.observeLatency(scope.key, 60_000);
    clock.now = 2_001;
    scheduler.request(scope, waiter(clock, grants));
    expect(grants).toHaveLength(6);
  });
});
