import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/client.js';
import type { SyncHooks } from '../../src/sync/sync-run.js';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import {
  expectTransactionsMatchTruth, itemRow, runRows, seedItem, stagedRowCount, syncHarness, type SeededItem, type SyncHarness,
} from '../support/sync-harness.js';

let database: TestDatabase;
let sim: TestSimulator;
/** The process that comes up after the crash: it treats any running row it finds as dead. */
let restarted: SyncHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  sim = startTestSimulator();
  restarted = syncHarness(database, { staleAfterMs: 0 });
});

afterAll(async () => {
  await restarted.engine.stop(0);
  await sim.close();
  await database.drop();
});

class Crash extends Error {}

type CrashPoint = { page: number } | 'inside-commit';

/**
 * Runs a sync in a "process" of its own (its own connection pool) and kills it at the given point:
 * its connections are cut, as when the process dies, so the open COPY or transaction is rolled back
 * by Postgres and nothing of the engine's cleanup can run.
 */
async function crashRun(item: SeededItem, at: CrashPoint): Promise<void> {
  const handle = connectDatabase(databaseUrl(database.name), { max: 4 });
  const die = async () => {
    await handle.sql.end({ timeout: 0 });
    throw new Crash('process died');
  };
  const hooks: SyncHooks =
    at === 'inside-commit' ? { beforeCommit: die } : { afterPage: ({ page }) => (page === at.page ? die() : undefined) };
  const doomed = syncHarness(handle, { hooks, heartbeatMs: 60_000, vault: restarted.vault });
  const outcome = await doomed.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'webhook' });
  expect(outcome.status).toBe('failed');
}

async function expectConsistentAfterRerun(item: SeededItem): Promise<void> {
  const [stuck] = await runRows(database.db, item.itemId).then((rows) => rows.filter((r) => r.status === 'running'));
  expect(stuck, 'the crashed run is left running, as after a real crash').toBeDefined();
  const outcome = await restarted.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'recovery' });
  expect(outcome.status).toBe('succeeded');
  await expectTransactionsMatchTruth(database.db, sim.control, item);
  const runs = await runRows(database.db, item.itemId);
  expect(runs.find((r) => r.id === stuck!.id)?.status).toBe('abandoned');
  expect(runs.filter((r) => r.status === 'running')).toHaveLength(0);
  // The stored cursor matches the stored data: continuing from it finds nothing new.
  const again = await restarted.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'schedule' });
  expect(again).toMatchObject({ status: 'succeeded', counts: { added: 0, modified: 0, removed: 0 } });
  await expectTransactionsMatchTruth(database.db, sim.control, item);
  await restarted.engine.recoverStaleRuns();
  expect(await stagedRowCount(database.db)).toBe(0);
}

const seed = (transactionCount: number) => seedItem(database.db, sim.control, restarted.vault, restarted.plaid, { transactionCount });

describe('crash safety', () => {
  it.each<CrashPoint>([{ page: 1 }, { page: 2 }, { page: 3 }, 'inside-commit'])(
    'a first sync killed at %o leaves nothing behind, and a rerun ends exact',
    async (at) => {
      const item = await seed(1_200);
      await crashRun(item, at);
      expect(await itemRow(database.db, item.itemId)).toMatchObject({ transactions_cursor: null });
      const stored = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from plaid_transactions where item_id = ${item.itemId}`);
      expect(stored[0]!.n).toBe(0);
      await expectConsistentAfterRerun(item);
    },
  );

  // 32 pages of 500: killed at page 30, after the first 10,000-row chunk was merged in the run's
  // transaction. Three full syncs of 16,000 rows: seconds alone, far more on a loaded CI machine.
  it('a long first sync killed after some chunks were merged leaves nothing behind, and a rerun ends exact', { timeout: 120_000 }, async () => {
    const item = await seed(16_000);
    await crashRun(item, { page: 30 });
    const stored = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from plaid_transactions where item_id = ${item.itemId}`);
    expect(stored[0]!.n).toBe(0);
    await expectConsistentAfterRerun(item);
  });

  it.each<CrashPoint>([{ page: 1 }, { page: 2 }, 'inside-commit'])(
    'an incremental sync killed at %o keeps the previous cursor and data, and a rerun ends exact',
    async (at) => {
      const item = await seed(700);
      expect((await restarted.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'initial' })).status).toBe('succeeded');
      const { transactions_cursor: cursor } = await itemRow(database.db, item.itemId);
      sim.control.advance(item.plaidItemId, { added: 600, modified: 40, removed: 15, posted: 5 });
      await crashRun(item, at);
      expect((await itemRow(database.db, item.itemId)).transactions_cursor).toBe(cursor);
      await expectConsistentAfterRerun(item);
    },
  );

  it('a follow-up booked for a run whose process died before starting it is run by the recovery sweep', async () => {
    const item = await seed(300);
    await restarted.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'initial' });
    // A webhook's change that another process's run was to pick up as its follow-up: booked, then
    // that process died after its run's commit and before the follow-up started.
    sim.control.advance(item.plaidItemId, { added: 7, modified: 2, removed: 1 });
    await database.db.execute(sql`
      insert into sync_state (item_id, product, follow_up_requested, follow_up_trigger, updated_at)
      values (${item.itemId}, 'transactions', true, 'webhook', now() - interval '1 minute')
      on conflict (item_id, product) do update set follow_up_requested = true, follow_up_trigger = 'webhook', updated_at = excluded.updated_at`);
    await restarted.engine.recoverStaleRuns();
    await restarted.engine.idle();
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    const state = await database.db.execute<{ follow_up_requested: boolean }>(sql`
      select follow_up_requested from sync_state where item_id = ${item.itemId} and product = 'transactions'`);
    expect(state[0]?.follow_up_requested).toBe(false);
    const runs = await runRows(database.db, item.itemId);
    expect(runs.map((r) => [r.trigger, r.status])).toContainEqual(['webhook', 'succeeded']);
  });
});
