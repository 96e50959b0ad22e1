import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessScheduler } from '../../src/sync/in-process-scheduler.js';
import type { SyncOutcome } from '../../src/sync/sync-outcome.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { expectTransactionsMatchTruth, runRows, seedItem, syncHarness, type SeededItem, type SyncHarness } from '../support/sync-harness.js';

let database: TestDatabase;
let sim: TestSimulator;
let harness: SyncHarness;
let onPage: ((page: number) => void | Promise<void>) | null = null;

beforeAll(async () => {
  database = await createTestDatabase();
  sim = startTestSimulator();
  harness = syncHarness(database, { hooks: { afterPage: ({ page }) => onPage?.(page) } });
});

afterAll(async () => {
  await harness.engine.stop(0);
  await sim.close();
  await database.drop();
});

const seed = (transactionCount: number) => seedItem(database.db, sim.control, harness.vault, harness.plaid, { transactionCount });
const request = (item: SeededItem) => ({ itemId: item.itemId, product: 'transactions' as const, trigger: 'webhook' as const });

/** A promise the test resolves by hand, to hold a run at a known point. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let reached!: () => void;
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  return { open, opened, reached, arrived };
}

/** Holds the next run of this process on its first page until the test opens the gate. */
function holdOnFirstPage() {
  const held = gate();
  onPage = async (page) => {
    if (page !== 1) return;
    onPage = null;
    held.reached();
    await held.opened;
  };
  return held;
}

describe('one run at a time per item and product', () => {
  it('ten simultaneous triggers make one pagination pass, and every caller gets that run', async () => {
    const item = await seed(1_300);
    sim.control.resetCalls();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => harness.engine.run(request(item))));
    expect(sim.control.calls('/transactions/sync')).toBe(3);
    const runIds = new Set(outcomes.map((o) => o.runId));
    expect(runIds.size).toBe(1);
    expect(outcomes.every((o) => o.status === 'succeeded' && o.counts.added === 1_300)).toBe(true);
    expect(await runRows(database.db, item.itemId)).toHaveLength(1);
    await expectTransactionsMatchTruth(database.db, sim.control, item);
  });

  it('fire-and-forget triggers before the run starts join it', async () => {
    const item = await seed(50);
    for (let i = 0; i < 10; i++) await harness.engine.request(request(item));
    await harness.engine.idle();
    expect(await runRows(database.db, item.itemId)).toHaveLength(1);
  });

  it('triggers during a run coalesce into exactly one follow-up run', async () => {
    const item = await seed(600);
    const held = holdOnFirstPage();
    const first = harness.engine.run(request(item));
    await held.arrived;
    sim.control.advance(item.plaidItemId, { added: 12 });
    for (let i = 0; i < 5; i++) await harness.engine.request(request(item));
    held.open();
    await first;
    await harness.engine.idle();
    const runs = await runRows(database.db, item.itemId);
    // The first run restarted its pagination (the data changed under it); the five triggers made one more run.
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([['webhook', 'succeeded'], ['webhook', 'succeeded']]);
    await expectTransactionsMatchTruth(database.db, sim.control, item);
  });

  it('a backfill asked for while an ordinary run goes, here or in another process, gets a run from scratch of its own', async () => {
    const item = await seed(600);
    const elsewhere = syncHarness(database, { vault: harness.vault, pollMs: 5 });
    const backfill = { ...request(item), trigger: 'backfill' as const, fromScratch: true };
    try {
      // Here: the ordinary run is held on its first page when the backfill is asked for.
      let held = holdOnFirstPage();
      const ordinary = harness.engine.run(request(item));
      await held.arrived;
      const here = harness.engine.run(backfill);
      held.open();
      const [first, second] = await Promise.all([ordinary, here]);
      expect(second.runId).not.toBe(first.runId);
      // From another process: it waits for the run this one holds, then runs its own.
      held = holdOnFirstPage();
      const again = harness.engine.run(request(item));
      await held.arrived;
      const there = elsewhere.engine.run(backfill);
      held.open();
      const [third, fourth] = await Promise.all([again, there]);
      expect(fourth.runId).not.toBe(third.runId);
    } finally {
      onPage = null;
      await elsewhere.engine.stop(0);
    }
    const runs = await runRows(database.db, item.itemId);
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([
      ['webhook', 'succeeded'], ['backfill', 'succeeded'], ['webhook', 'succeeded'], ['backfill', 'succeeded'],
    ]);
    // Each backfill paged the whole history again.
    expect(runs.filter((r) => r.trigger === 'backfill').map((r) => r.pages)).toEqual([2, 2]);
  });

  it('a caller in another process waits for the running run and gets its result; a trigger there books one follow-up', async () => {
    const item = await seed(700);
    const waiter = syncHarness(database, { vault: harness.vault, pollMs: 5 });
    const trigger = syncHarness(database, { vault: harness.vault });
    const held = holdOnFirstPage();
    try {
      const mine = harness.engine.run(request(item));
      await held.arrived;
      const theirs = waiter.engine.run(request(item));
      await trigger.engine.request({ ...request(item), trigger: 'schedule' });
      await trigger.engine.idle();
      const state = await database.db.execute<{ follow_up_requested: boolean }>(sql`
        select follow_up_requested from sync_state where item_id = ${item.itemId} and product = 'transactions'`);
      expect(state[0]?.follow_up_requested).toBe(true);
      held.open();
      const [a, b] = await Promise.all([mine, theirs]);
      expect(b.runId).toBe(a.runId);
      expect(b).toMatchObject({ status: 'succeeded', counts: (a as Extract<SyncOutcome, { status: 'succeeded' }>).counts });
      await harness.engine.idle();
    } finally {
      held.open();
      await Promise.all([waiter.engine.stop(0), trigger.engine.stop(0)]);
    }
    const runs = await runRows(database.db, item.itemId);
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([['webhook', 'succeeded'], ['schedule', 'succeeded']]);
  });

  it('a trigger while this process waits on another process books a follow-up run here', async () => {
    const item = await seed(700);
    const waiter = syncHarness(database, { vault: harness.vault, pollMs: 5 });
    const held = holdOnFirstPage();
    try {
      const mine = harness.engine.run(request(item));
      await held.arrived;
      const theirs = waiter.engine.run(request(item));
      // The waiter's slot has started waiting once its first acquire attempt has failed.
      await waiter.engine.request({ ...request(item), trigger: 'admin' });
      held.open();
      await Promise.all([mine, theirs]);
      await waiter.engine.idle();
    } finally {
      held.open();
      await waiter.engine.stop(0);
    }
    const runs = await runRows(database.db, item.itemId);
    expect(runs.length).toBeLessThanOrEqual(2);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    await expectTransactionsMatchTruth(database.db, sim.control, item);
  });

  it('a run left by a dead process is recovered and synced again', async () => {
    const item = await seed(30);
    await database.db.execute(sql`
      insert into sync_runs (item_id, product, trigger, owner, heartbeat_at, started_at)
      values (${item.itemId}, 'transactions', 'webhook', 'dead-host:1:abcd', now() - interval '1 hour', now() - interval '1 hour')`);
    const recovering = syncHarness(database, { vault: harness.vault, staleAfterMs: 60_000 });
    // The scheduler recovers stale runs as soon as it starts; wait for that recovery run to finish.
    const scheduler = createInProcessScheduler({ engine: recovering.engine, logger: recovering.logger, recoverEveryMs: 60_000 });
    await expect
      .poll(async () => (await runRows(database.db, item.itemId)).some((r) => r.trigger === 'recovery' && r.status === 'succeeded'), { timeout: 20_000 })
      .toBe(true);
    await scheduler.stop(0);
    const runs = await runRows(database.db, item.itemId);
    expect(runs.map((r) => [r.trigger, r.status])).toEqual([['webhook', 'abandoned'], ['recovery', 'succeeded']]);
    await expectTransactionsMatchTruth(database.db, sim.control, item);
  });

  it('stopping the engine aborts a run, marks it abandoned and refuses new runs', async () => {
    const item = await seed(700);
    const held = gate();
    const stopping = syncHarness(database, {
      vault: harness.vault,
      hooks: {
        afterPage: async ({ page }) => {
          if (page !== 1) return;
          held.reached();
          await held.opened;
        },
      },
    });
    const scheduler = createInProcessScheduler({ engine: stopping.engine, logger: stopping.logger });
    const run = scheduler.run(request(item));
    await held.arrived;
    const stopped = scheduler.stop(0);
    held.open();
    await stopped;
    expect(await run).toMatchObject({ status: 'failed', error: { code: 'ABORTED' } });
    expect(await scheduler.run(request(item))).toEqual({ status: 'skipped', runId: null, reason: 'stopped' });
    await scheduler.request(request(item));
    const runs = await runRows(database.db, item.itemId);
    expect(runs.map((r) => r.status)).toEqual(['abandoned']);
  });
});
