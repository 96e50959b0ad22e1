import { describe, expect, it } from 'vitest';
import { IntakePressure } from '../../src/webhooks/intake-pressure.js';

function clocked(options: { maxYieldMs: number; busyBatch?: number; holdMs?: number }) {
  const clock = { now: 1_000 };
  const pressure = new IntakePressure({ ...options, now: () => clock.now });
  return { clock, pressure };
}

describe('intake pressure (when the workers leave the intake the CPU)', () => {
  it('never yields to a trickle: deliveries that each find the recorder free form batches of one', () => {
    const { clock, pressure } = clocked({ maxYieldMs: 10_000 });
    for (let i = 0; i < 500; i++) {
      pressure.batchFormed(i % 3 === 0 ? 3 : 1);
      clock.now += 2;
      expect(pressure.shouldYield()).toBe(false);
    }
  });

  it('yields from a batch of several deliveries until the intake has been quiet for the hold time', () => {
    const { clock, pressure } = clocked({ maxYieldMs: 10_000, busyBatch: 4, holdMs: 200 });
    pressure.batchFormed(12);
    expect(pressure.shouldYield()).toBe(true);
    clock.now += 150;
    pressure.batchFormed(2);
    expect(pressure.shouldYield()).toBe(true);
    clock.now += 49;
    expect(pressure.shouldYield()).toBe(true);
    clock.now += 1;
    expect(pressure.shouldYield()).toBe(false);
  });

  it('pauses the workers at most maxYieldMs in one busy stretch, and again after a quiet gap', () => {
    const { clock, pressure } = clocked({ maxYieldMs: 1_000, busyBatch: 4, holdMs: 200 });
    const yields: boolean[] = [];
    // 3 s of a burst: a busy batch every 100 ms.
    for (let t = 0; t < 3_000; t += 100) {
      pressure.batchFormed(16);
      yields.push(pressure.shouldYield());
      clock.now += 100;
    }
    expect(yields.slice(0, 10).every(Boolean)).toBe(true);
    expect(yields.slice(10).some(Boolean)).toBe(false);
    // The burst ends; the next one is a stretch of its own.
    clock.now += 200;
    expect(pressure.shouldYield()).toBe(false);
    pressure.batchFormed(16);
    expect(pressure.shouldYield()).toBe(true);
  });
});
