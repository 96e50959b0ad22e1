import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../src/simulator/faults.js';
import { readChanges } from '../../src/services/change-feed.js';
import { loadItems } from '../../src/services/read-models/items.js';
import { checkItemStatus } from '../../src/status/status-check.js';
import type { SyncTrigger } from '../../src/sync/sync-scheduler.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { itemRow, seedItem, syncHarness, type SeededItem, type SyncHarness } from '../support/sync-harness.js';

/**
 * Answers that say "this product has nothing here", "consent missing" or "not ready yet" put the
 * product of the item in a stated wait state: the item keeps its status and shows no error, the
 * hourly check stops calling Plaid for the product, and a webhook or an explicit sync tries again.
 */

const TODAY = '2026-03-15';

let database: TestDatabase;
let sim: TestSimulator;
let harness: SyncHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  sim = startTestSimulator({ today: TODAY });
  harness = syncHarness(database, { today: () => TODAY });
});

afterAll(async () => {
  await harness.engine.stop(0);
  await sim.close();
  await database.drop();
});

beforeEach(() => {
  sim.control.clearFaults();
});

type WaitProduct = 'investments' | 'liabilities';

const seed = (products: WaitProduct[]) =>
  seedItem(database.db, sim.control, harness.vault, harness.plaid, { products, institutionId: 'ins_109508', transactionCount: 0 });
const run = (item: SeededItem, product: WaitProduct, trigger: SyncTrigger = 'api') => harness.engine.run({ itemId: item.itemId, product, trigger });
const calls = (endpoint: string) => sim.control.calls(endpoint);

async function syncState(item: SeededItem, product: WaitProduct) {
  const rows = await database.db.execute<{ state: string | null; state_code: string | null; state_since: Date | null }>(sql`
    select state, state_code, state_since from sync_state where item_id = ${item.itemId} and product = ${product}`);
  return rows[0];
}

async function apiSync(item: SeededItem) {
  const [record] = await loadItems(database.db, { userId: item.userId, ids: [item.itemId] });
  return { status: record!.status, errorCode: record!.error_code, sync: record!.sync };
}

const cases: { name: string; product: WaitProduct; endpoint: string; fault: FaultRule['kind']; code: string; kind: string; state: string }[] = [
  { name: 'no investment accounts', product: 'investments', endpoint: '/investments/holdings/get', fault: 'no_accounts', code: 'NO_INVESTMENT_ACCOUNTS', kind: 'product_no_accounts', state: 'no_accounts' },
  { name: 'no liability accounts', product: 'liabilities', endpoint: '/liabilities/get', fault: 'no_accounts', code: 'NO_LIABILITY_ACCOUNTS', kind: 'product_no_accounts', state: 'no_accounts' },
  { name: 'no eligible account on the item', product: 'liabilities', endpoint: '/liabilities/get', fault: 'item_no_accounts', code: 'NO_ACCOUNTS', kind: 'product_no_accounts', state: 'no_accounts' },
  { name: 'permission not granted', product: 'investments', endpoint: '/investments/holdings/get', fault: 'access_not_granted', code: 'ACCESS_NOT_GRANTED', kind: 'consent_required', state: 'consent_required' },
  { name: 'consent missing', product: 'investments', endpoint: '/investments/holdings/get', fault: 'additional_consent_required', code: 'ADDITIONAL_CONSENT_REQUIRED', kind: 'consent_required', state: 'consent_required' },
  { name: 'data not ready', product: 'investments', endpoint: '/investments/transactions/get', fault: 'product_not_ready', code: 'PRODUCT_NOT_READY', kind: 'not_ready', state: 'not_ready' },
];

describe.each(cases)('$name ($code)', ({ product, endpoint, fault, code, kind, state }) => {
  it('puts the product in its wait state without touching the item, and shows it in the API', async () => {
    const item = await seed([product]);
    sim.control.addFault({ endpoint, kind: fault, count: 1 });
    const before = calls(endpoint);

    const outcome = await run(item, product);

    expect(outcome).toMatchObject({ status: 'failed', error: { code, kind } });
    // One call: the answer is final, not retried with backoff.
    expect(calls(endpoint) - before).toBe(1);
    expect(await itemRow(database.db, item.itemId)).toMatchObject({ status: 'active', error_code: null, unsupported_products: [] });
    expect(await syncState(item, product)).toMatchObject({ state, state_code: code });
    const shown = await apiSync(item);
    expect(shown).toMatchObject({ status: 'active', errorCode: null });
    expect(shown.sync[product]).toMatchObject({ enabled: true, state, state_code: code });
  });

  it('is skipped by the hourly check without a Plaid call, and synced again by a webhook, which clears it', async () => {
    const item = await seed([product]);
    sim.control.addFault({ endpoint, kind: fault, count: 1 });
    await run(item, product);
    const before = sim.control.calls();

    expect(await run(item, product, 'schedule')).toEqual({ status: 'skipped', runId: null, reason: 'product_waiting' });
    expect(await run(item, product, 'refresh_all')).toEqual({ status: 'skipped', runId: null, reason: 'product_waiting' });
    expect(sim.control.calls()).toEqual(before);

    expect(await run(item, product, 'webhook')).toMatchObject({ status: 'succeeded' });
    expect(await syncState(item, product)).toMatchObject({ state: null, state_code: null, state_since: null });
    expect((await apiSync(item)).sync[product]).toMatchObject({ state: 'ok', state_code: null });
    expect((await run(item, product, 'schedule')).status).toBe('succeeded');
  });

  it('is an item.updated in the change feed when it begins and when it ends, and nothing while it lasts', async () => {
    const item = await seed([product]);
    let cursor = (await readChanges(database.db, { userId: item.userId, limit: 1000 })).next_cursor;
    const itemChanges = async () => {
      const page = await readChanges(database.db, { userId: item.userId, limit: 1000, cursor });
      cursor = page.next_cursor;
      return page.changes.filter((change) => change.kind.startsWith('item.')).map((change) => ({ kind: change.kind, record: change.record }));
    };
    sim.control.addFault({ endpoint, kind: fault, count: 2 });
    await run(item, product);
    const waiting = expect.objectContaining({ id: item.itemId, sync: expect.objectContaining({ [product]: expect.objectContaining({ state, state_code: code }) }) });
    expect(await itemChanges()).toEqual([{ kind: 'item.updated', record: waiting }]);

    // The same answer again, and a run that succeeds with nothing waiting, change nothing the app reads.
    await run(item, product, 'webhook');
    expect(await itemChanges()).toEqual([]);
    await run(item, product, 'webhook');
    const ok = expect.objectContaining({ sync: expect.objectContaining({ [product]: expect.objectContaining({ state: 'ok', state_code: null }) }) });
    expect(await itemChanges()).toEqual([{ kind: 'item.updated', record: ok }]);
    await run(item, product, 'webhook');
    expect(await itemChanges()).toEqual([]);
  });
});

describe('the hourly status check', () => {
  it('queues no sync that calls Plaid for a waiting product, while the item’s other products sync', async () => {
    const item = await seed(['investments', 'liabilities']);
    sim.control.addFault({ endpoint: '/liabilities/get', kind: 'no_accounts', count: 1 });
    expect((await run(item, 'liabilities')).status).toBe('failed');
    const liabilityCalls = calls('/liabilities/get');
    const holdingCalls = calls('/investments/holdings/get');

    const result = await checkItemStatus(
      { db: database.db, sql: database.sql, plaid: harness.plaid, vault: harness.vault, syncs: harness.engine, logger: harness.logger },
      { itemId: item.itemId, trigger: 'schedule' },
    );
    await harness.engine.idle();

    expect(result.status).toBe('active');
    expect(calls('/liabilities/get')).toBe(liabilityCalls);
    expect(calls('/investments/holdings/get')).toBe(holdingCalls + 1);
    expect(await syncState(item, 'liabilities')).toMatchObject({ state: 'no_accounts' });
    expect(await itemRow(database.db, item.itemId)).toMatchObject({ status: 'active', error_code: null });
  });

  it('tries a product that stayed not ready for a day again, in case its webhook was lost', async () => {
    const item = await seed(['investments']);
    sim.control.addFault({ endpoint: '/investments/transactions/get', kind: 'product_not_ready', count: 2 });
    await run(item, 'investments');
    const first = (await syncState(item, 'investments'))!.state_since;
    // A second not-ready answer keeps the time the wait began.
    await run(item, 'investments', 'webhook');
    expect((await syncState(item, 'investments'))!.state_since).toEqual(first);
    expect((await run(item, 'investments', 'schedule')).status).toBe('skipped');

    await database.db.execute(sql`
      update sync_state set state_since = now() - interval '25 hours' where item_id = ${item.itemId} and product = 'investments'`);
    expect((await run(item, 'investments', 'schedule')).status).toBe('succeeded');
    expect(await syncState(item, 'investments')).toMatchObject({ state: null });
  });
});

describe('permanent errors other than login', () => {
  it.each(['invalid_access_token', 'invalid_api_keys'] as const)('%s leaves the item visibly broken, not active without an error', async (fault) => {
    const item = await seed(['investments']);
    sim.control.addFault({ endpoint: '/investments/holdings/get', kind: fault, count: 1 });
    const outcome = await run(item, 'investments');
    const code = fault.toUpperCase();
    expect(outcome).toMatchObject({ status: 'failed', error: { code, kind: 'fatal' } });
    const shown = await apiSync(item);
    expect(shown.errorCode).toBe(code);
    expect(shown.sync.investments).toMatchObject({ state: 'ok', last_error: { code } });
    // Not a product wait: the item itself is broken, and it is still checked every hour.
    expect(await syncState(item, 'investments')).toBeUndefined();
  });
});
