import { describe, expect, it } from 'vitest';
import { IntakeBursts, IntakePressure, type IntakePressureOptions } from '../../src/webhooks/intake-pressure.js';

function clocked(options: Omit<IntakePressureOptions, 'now'>) {
  const clock = { now: 1_000 };
  const pressure = new IntakePressure({ ...options, now: () => clock.now });
  return { clock, pressure };
}

/** Deliveries every `stepMs` for `forMs` (busy batches while `busy(t)`), the pool asking after each; what it was told. */
function run(setup: ReturnType<typeof clocked>, forMs: number, stepMs: number, busy: (t: number) => boolean): boolean[] {
  const told: boolean[] = [];
  for (let t = 0; t < forMs; t += stepMs) {
    setup.pressure.bursts.batchFormed(busy(t) ? 16 : 1);
    told.push(setup.pressure.shouldYield());
    setup.clock.now += stepMs;
  }
  return told;
}

describe('intake pressure (when the workers leave the intake the CPU)', () => {
  it('never yields to a trickle: deliveries that each find the recorder free form batches of one to three', () => {
    const { clock, pressure } = clocked({ maxYieldMs: 10_000 });
    for (let i = 0; i < 500; i++) {
      pressure.bursts.batchFormed(i % 3 === 0 ? 3 : 1);
      clock.now += 2;
      expect(pressure.shouldYield()).toBe(false);
    }
  });

  it('yields from a batch of several deliveries until the intake has been quiet for the hold time', () => {
    const { clock, pressure } = clocked({ maxYieldMs: 10_000, busyBatch: 4, holdMs: 200 });
    pressure.bursts.batchFormed(12);
    expect(pressure.shouldYield()).toBe(true);
    clock.now += 150;
    pressure.bursts.batchFormed(2);
    expect(pressure.shouldYield()).toBe(true);
    clock.now += 49;
    expect(pressure.shouldYield()).toBe(true);
    clock.now += 1;
    expect(pressure.shouldYield()).toBe(false);
  });

  it('pauses the workers at most maxYieldMs at a time, then lets them run as long before the next pause', () => {
    const setup = clocked({ maxYieldMs: 1_000, busyBatch: 4, holdMs: 200 });
    // 3.5 s of one unbroken burst, the pool asking every 100 ms.
    const told = run(setup, 3_500, 100, () => true);
    expect(told.slice(0, 10).every(Boolean)).toBe(true);
    expect(told.slice(10, 20).some(Boolean)).toBe(false);
    expect(told.slice(20, 30).every(Boolean)).toBe(true);
    expect(told.slice(30).some(Boolean)).toBe(false);
  });

  it('never pauses them more than about half the time, whatever the bursts pattern', () => {
    for (const [burstMs, gapMs] of [[990, 210], [400, 210], [5_000, 300], [200, 1_000]] as const) {
      const setup = clocked({ maxYieldMs: 1_000, busyBatch: 4, holdMs: 200 });
      const told = run(setup, 60_000, 10, (t) => t % (burstMs + gapMs) < burstMs);
      const paused = told.filter(Boolean).length / told.length;
      expect(paused).toBeLessThanOrEqual(0.52);
      // A short burst with long gaps is paused for whole (plus the hold): the budget refills in the gaps.
      if (gapMs > burstMs) expect(paused).toBeGreaterThan(burstMs / (burstMs + gapMs));
    }
  });

  it('reports the time the workers were paused', () => {
    let paused = 0;
    const { clock, pressure } = clocked({ maxYieldMs: 10_000, holdMs: 200, onPaused: (ms) => (paused += ms) });
    pressure.bursts.batchFormed(8);
    expect(pressure.shouldYield()).toBe(true);
    clock.now += 200;
    expect(pressure.shouldYield()).toBe(false);
    clock.now += 5_000;
    expect(pressure.shouldYield()).toBe(false);
    expect(paused).toBe(200);
  });

  it('a short burst leaves most of the budget: the next one is paused too', () => {
    const setup = clocked({ maxYieldMs: 10_000, busyBatch: 4, holdMs: 200 });
    const first = run(setup, 3_000, 100, (t) => t < 2_000);
    expect(first.slice(0, 20).every(Boolean)).toBe(true);
    expect(first.slice(23).some(Boolean)).toBe(false);
    const second = run(setup, 1_000, 100, () => true);
    expect(second.every(Boolean)).toBe(true);
  });
});

describe('intake bursts (the signal an HTTP-only instance has too)', () => {
  it('is busy from a batch of several deliveries for the hold time, never for a trickle', () => {
    const clock = { now: 0 };
    const bursts = new IntakeBursts({ busyBatch: 4, holdMs: 200, now: () => clock.now });
    for (let i = 0; i < 100; i++) {
      bursts.batchFormed(i % 3 === 0 ? 3 : 1);
      clock.now += 2;
      expect(bursts.busy()).toBe(false);
    }
    bursts.batchFormed(4);
    expect(bursts.busy()).toBe(true);
    clock.now += 199;
    expect(bursts.busy()).toBe(true);
    clock.now += 1;
    expect(bursts.busy()).toBe(false);
  });

  it('is the pressure’s own when shared: a batch told to either is seen by both', () => {
    const clock = { now: 1_000 };
    const bursts = new IntakeBursts({ holdMs: 200, now: () => clock.now });
    const pressure = new IntakePressure({ maxYieldMs: 10_000, bursts, now: () => clock.now });
    expect(pressure.bursts).toBe(bursts);
    expect(pressure.recheckMs).toBe(200);
    bursts.batchFormed(8);
    expect(pressure.shouldYield()).toBe(true);
    clock.now += 300;
    expect(pressure.shouldYield()).toBe(false);
    pressure.bursts.batchFormed(8);
    expect(bursts.busy()).toBe(true);
  });
});
