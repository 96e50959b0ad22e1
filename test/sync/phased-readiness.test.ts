import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { expectTransactionsMatchTruth, seedItem, storedTransactions, syncHarness, type SyncHarness } from '../support/sync-harness.js';

/**
 * A new item as Plaid delivers it: nothing at first, then about 30 days (initial update), then the
 * history (historical update), with SYNC_UPDATES_AVAILABLE for transactions and, for investments,
 * PRODUCT_NOT_READY (async_update) until INVESTMENTS_TRANSACTIONS: HISTORICAL_UPDATE.
 */

const TODAY = '2026-03-15';
const CUTOFF = '2026-02-13';

let database: TestDatabase;
let sim: TestSimulator;
let harness: SyncHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  sim = startTestSimulator({ today: TODAY, timeScale: 0.001 });
  harness = syncHarness(database, { today: () => TODAY });
});

afterAll(async () => {
  await harness.engine.stop(0);
  await sim.close();
  await database.drop();
});

async function investmentsState(itemId: string) {
  const rows = await database.db.execute<{ state: string | null }>(sql`
    select state from sync_state where item_id = ${itemId} and product = 'investments'`);
  return rows[0]?.state ?? null;
}

async function storedInvestmentTransactionCount(itemId: string): Promise<number> {
  const rows = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from investment_transactions where item_id = ${itemId}`);
  return rows[0]!.n;
}

const webhooksFor = (plaidItemId: string) =>
  sim.webhooks.map((w) => JSON.parse(w.body) as Record<string, unknown>).filter((p) => p.item_id === plaidItemId);

describe('an item that arrives in phases', () => {
  it('stores nothing, then the recent days, then the whole history, and waits for the investments webhook instead of retrying', async () => {
    const item = await seedItem(database.db, sim.control, harness.vault, harness.plaid, {
      products: ['transactions', 'investments'], transactionCount: 300, ready: false, webhook: 'https://service.test/webhooks/plaid',
    });
    const run = (product: 'transactions' | 'investments', trigger: 'initial' | 'webhook' | 'schedule') => harness.engine.run({ itemId: item.itemId, product, trigger });

    // Right after Link: /transactions/sync answers NOT_READY with nothing; investments are not ready.
    expect(await run('transactions', 'initial')).toMatchObject({ status: 'succeeded', counts: { added: 0 } });
    const notReadyCalls = sim.control.calls('/investments/transactions/get');
    expect(await run('investments', 'initial')).toMatchObject({ status: 'failed', error: { code: 'PRODUCT_NOT_READY', kind: 'not_ready' } });
    expect(sim.control.calls('/investments/transactions/get') - notReadyCalls).toBe(1);
    expect(await investmentsState(item.itemId)).toBe('not_ready');
    expect(await storedTransactions(database.db, item.itemId)).toEqual([]);

    // Initial update: SYNC_UPDATES_AVAILABLE (the item was synced once) brings the last 30 days.
    sim.control.markReady(item.plaidItemId, 'initial');
    await sim.control.idle();
    expect(webhooksFor(item.plaidItemId).at(-1)).toMatchObject({ webhook_code: 'SYNC_UPDATES_AVAILABLE', initial_update_complete: true, historical_update_complete: false });
    expect((await run('transactions', 'webhook')).status).toBe('succeeded');
    const recent = await storedTransactions(database.db, item.itemId);
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThan(300);
    expect(recent.every((t) => t.date >= CUTOFF)).toBe(true);
    // The hourly check leaves the waiting investments alone.
    const before = sim.control.calls('/investments/transactions/get');
    expect(await run('investments', 'schedule')).toMatchObject({ status: 'skipped', reason: 'product_waiting' });
    expect(sim.control.calls('/investments/transactions/get')).toBe(before);

    // Historical update: both webhooks; the next syncs complete the history and the investments.
    sim.control.markReady(item.plaidItemId, 'historical');
    await sim.control.idle();
    expect(webhooksFor(item.plaidItemId).slice(-2)).toMatchObject([
      { webhook_type: 'INVESTMENTS_TRANSACTIONS', webhook_code: 'HISTORICAL_UPDATE' },
      { webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', historical_update_complete: true },
    ]);
    expect(await run('transactions', 'webhook')).toMatchObject({ status: 'succeeded' });
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    expect(await run('investments', 'webhook')).toMatchObject({ status: 'succeeded' });
    expect(await investmentsState(item.itemId)).toBeNull();
    expect(await storedInvestmentTransactionCount(item.itemId)).toBeGreaterThan(0);
  });
});
