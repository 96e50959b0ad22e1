import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/db/client.js';
import type { SyncHooks } from '../../src/sync/sync-run.js';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../support/database.js';
import { diagnoseWhenSlow } from '../support/slow-diagnosis.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import {
  expectTransactionsMatchTruth, itemRow, runRows, seedItem, stagedRowCount, syncHarness, type SeededItem, type SyncHarness,
} from '../support/sync-harness.js';

/**
 * Plaid allows 50 `/transactions/sync` calls per item per minute. The simulator enforces that limit
 * on its own clock, which here moves only when the service waits for the window: a minute passes for
 * the simulator whenever the run waits (20 ms of real time), so the test pays for no real minute
 * and a run that did not wait would never see the window reset.
 */
let database: TestDatabase;
let sim: TestSimulator;
let simulatorNow = Date.parse('2026-06-01T12:00:00Z');
let restarted: SyncHarness;
/** What each wait saw: the run row and the item's stored rows at that moment. */
let waits: { pages: number; rowPages: number; rateLimitedUntil: Date | null; stored: number; partial: boolean }[] = [];
let onWait: ((item: SeededItem) => void) | null = null;
let current: SeededItem | null = null;

const minutePasses: SyncHooks['rateLimited'] = async ({ runId, itemId, pages }) => {
  const [row] = await database.db.execute<{ pages: number; rate_limited_until: string | null }>(sql`
    select pages, to_json(rate_limited_until)#>>'{}' as rate_limited_until from sync_runs where id = ${runId}`);
  const [stored] = await database.db.execute<{ n: number; partial: boolean }>(sql`
    select (select count(*)::int from plaid_transactions where item_id = ${itemId}) as n,
      (select transactions_cursor_partial from plaid_items where id = ${itemId}) as partial`);
  waits.push({
    pages, rowPages: row!.pages, rateLimitedUntil: row!.rate_limited_until ? new Date(row!.rate_limited_until) : null,
    stored: stored!.n, partial: stored!.partial,
  });
  if (current && onWait) onWait(current);
  simulatorNow += 60_000;
};

beforeAll(async () => {
  database = await createTestDatabase();
  sim = startTestSimulator({ rateLimits: true, now: () => simulatorNow });
  restarted = syncHarness(database, { staleAfterMs: 0, hooks: { rateLimited: minutePasses } });
});

afterAll(async () => {
  await restarted.engine.stop(0);
  await sim.close();
  await database.drop();
});

const seed = async (transactionCount: number) => {
  const item = await seedItem(database.db, sim.control, restarted.vault, restarted.plaid, { transactionCount });
  current = item;
  waits = [];
  onWait = null;
  return item;
};

const syncCalls = () => sim.requests.filter((r) => r.endpoint === '/transactions/sync').length;

class Crash extends Error {}

describe('a first pull longer than the per-item rate limit', () => {
  // The size: 200 pages, four minutes at Plaid's limit. The limit answers at calls 51, 102
  // and 153 (a refused call counts against the window it hit).
  it('paces itself to the limit: commits a checkpoint, waits for the window, and completes exact', { timeout: 180_000 }, async () => {
    const item = await seed(100_000);
    const outcome = await restarted.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'initial' });
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 200, added: 100_000 } });
    expect(waits).toHaveLength(3);
    // Each wait follows a committed checkpoint: the data of the pages so far and a cursor inside the
    // pull, with the run row saying how far it got and until when it waits.
    expect(waits.map((w) => [w.pages, w.stored, w.partial])).toEqual([[50, 25_000, true], [100, 50_000, true], [150, 75_000, true]]);
    for (const wait of waits) {
      expect(wait.rowPages).toBe(wait.pages);
      expect(wait.rateLimitedUntil).not.toBeNull();
    }
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    expect(await itemRow(database.db, item.itemId)).toMatchObject({ status: 'active', error_code: null });
    const [stored] = await database.db.execute<{ partial: boolean }>(sql`select transactions_cursor_partial as partial from plaid_items where id = ${item.itemId}`);
    expect(stored!.partial).toBe(false);
    const [run] = await runRows(database.db, item.itemId);
    expect(run).toMatchObject({ status: 'succeeded', pages: 200, added: 100_000 });
    expect(await stagedRowCount(database.db)).toBe(0);
    // Continuing from the stored cursor finds nothing new.
    const again = await restarted.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'schedule' });
    expect(again).toMatchObject({ status: 'succeeded', counts: { added: 0, modified: 0, removed: 0 } });
  });

  it('killed after a checkpoint, resumes from it: the rerun fetches only the pages after it, and ends exact', { timeout: 120_000 }, async () => {
    const item = await seed(26_000);
    const handle = connectDatabase(databaseUrl(database.name), { max: 4 });
    const die = async () => {
      await handle.sql.end({ timeout: 0 });
      throw new Crash('process died');
    };
    const hooks: SyncHooks = { rateLimited: minutePasses, afterPage: ({ page }) => (page === 51 ? die() : undefined) };
    const doomed = syncHarness(handle, { hooks, heartbeatMs: 60_000, vault: restarted.vault });
    const crashed = await doomed.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'initial' });
    expect(crashed.status).toBe('failed');
    const [stored] = await database.db.execute<{ n: number; partial: boolean }>(sql`
      select (select count(*)::int from plaid_transactions where item_id = ${item.itemId}) as n,
        (select transactions_cursor_partial from plaid_items where id = ${item.itemId}) as partial`);
    expect(stored).toEqual({ n: 25_000, partial: true });

    const before = syncCalls();
    const outcome = await restarted.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'recovery' });
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 2, added: 1_000 } });
    expect(syncCalls() - before).toBe(2);
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    await restarted.engine.recoverStaleRuns();
    expect(await stagedRowCount(database.db)).toBe(0);
  });

  it('commits a checkpoint at a chunk boundary once its transaction has been open long enough', { timeout: 120_000 }, async () => {
    const item = await seed(26_000);
    const commits: boolean[] = [];
    const timed = syncHarness(database, {
      vault: restarted.vault, checkpointAfterMs: 0,
      hooks: { rateLimited: minutePasses, beforeCommit: ({ checkpoint }) => void commits.push(checkpoint) },
    });
    const outcome = await timed.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'initial' });
    await timed.engine.stop(0);
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 52, added: 26_000 } });
    // Chunks of 10,000 rows end at pages 20 and 40; the rate limit at call 51 ends one more.
    expect(commits).toEqual([true, true, true, false]);
    expect(waits.map((w) => w.pages)).toEqual([50]);
    await expectTransactionsMatchTruth(database.db, sim.control, item);
  });

  // The reconciling pull upserts the 25,000 rows already stored again: ~3 s (it was 40-50 s while
  // the feed's update trigger joined old and new rows by a kept nested-loop plan; migration 0018).
  it('a mutation after a checkpoint restarts the pull from no cursor and drops what it no longer lists', { timeout: 120_000 }, async () => {
    // Statistics taken while another run's rows were staged (autovacuum takes them at any quiet
    // moment) say this run stages next to nothing: the reconciling delete must not then compare
    // every stored row with every staged one (a nested loop: minutes instead of milliseconds).
    await database.db.execute(sql`insert into sync_staged_transactions (run_id, seq, kind, transaction_id, account_id)
      select ${randomUUID()}, n, 0, 'other-' || n, 'other' from generate_series(1, 20000) as n`);
    await database.db.execute(sql`analyze sync_staged_transactions`);
    await database.db.execute(sql`delete from sync_staged_transactions`);
    let doing = 'seeding';
    const diagnosis = diagnoseWhenSlow(database.sql, 60_000, () => `${doing}; waits so far ${JSON.stringify(waits)}`);
    const item = await seed(26_000);
    doing = 'running';
    // While the run waits, the bank changes the item: some of the transactions already committed are
    // removed. Plaid then refuses the checkpoint's cursor, and a pull from no cursor does not list
    // a transaction added and removed since, so only deleting what it does not list ends exact.
    onWait = (seeded) => {
      onWait = null;
      sim.control.advance(seeded.plaidItemId, { added: 20, modified: 10, removed: 40 });
    };
    const outcome = await restarted.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'initial' });
    expect(outcome.status).toBe('succeeded');
    expect(waits.length).toBeGreaterThanOrEqual(2);
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    const [stored] = await database.db.execute<{ partial: boolean }>(sql`select transactions_cursor_partial as partial from plaid_items where id = ${item.itemId}`);
    expect(stored!.partial).toBe(false);
    doing = 'running again';
    const again = await restarted.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'schedule' });
    expect(again).toMatchObject({ status: 'succeeded', counts: { added: 0, modified: 0, removed: 0 } });
    clearTimeout(diagnosis);
  });
});
