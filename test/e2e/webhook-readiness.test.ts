import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { matchesTruth, startDeliveringSimulator, syncQueuesIdle } from '../support/webhook-e2e.js';
import { eventually, insertItem } from '../support/webhook-items.js';
import { startTestService, type RunningTestService } from '../support/webhook-service.js';

/**
 * A new item as Plaid delivers it, through the whole service: the first syncs find nothing (and,
 * for investments, PRODUCT_NOT_READY), then Plaid's readiness webhooks alone bring the data.
 */
describe('phased readiness end to end: webhooks → queue → sync', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startDeliveringSimulator>>;
  let service: RunningTestService;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startDeliveringSimulator();
    service = await startTestService(database, { plaidBaseUrl: simulator.url, config: { workerConcurrency: 4 } });
  });
  afterAll(async () => {
    await service?.stop();
    await simulator?.close();
    await database?.drop();
  });

  const runs = (itemId: string) =>
    database.sql<{ product: string; trigger: string; status: string; error_code: string | null }[]>`
      select product, trigger, status, error_code from sync_runs where item_id = ${itemId} order by started_at`;

  it('transactions: nothing, then the last 30 days on SYNC_UPDATES_AVAILABLE, then the whole history', async () => {
    const created = simulator.control.createItem({ products: [Products.Transactions], webhook: `${service.url}/webhooks/plaid`, transactionCount: 200, ready: false });
    const itemId = await insertItem(service.deps, { plaidItemId: created.itemId, accessToken: created.accessToken, product: 'transactions' });
    await service.deps.syncs.request({ itemId, product: 'transactions', trigger: 'initial' });
    await eventually(async () => ((await runs(itemId)).some((r) => r.status === 'succeeded') ? true : undefined), 20_000, 'the first sync');
    const count = async () => (await database.sql<{ n: number }[]>`select count(*)::int as n from plaid_transactions where item_id = ${itemId}`)[0]!.n;
    expect(await count()).toBe(0);

    simulator.control.markReady(created.itemId, 'initial');
    await simulator.control.idle();
    const recent = await eventually(async () => ((await count()) > 0 ? count() : undefined), 20_000, 'the initial update');
    expect(recent).toBeLessThan(200);

    simulator.control.markReady(created.itemId, 'historical');
    await simulator.control.idle();
    await eventually(() => matchesTruth(database.sql, simulator.control, itemId, created.itemId), 20_000, 'the historical update');
    expect((await runs(itemId)).filter((r) => r.trigger === 'webhook' && r.status === 'succeeded').length).toBeGreaterThanOrEqual(2);
  });

  it('investments: PRODUCT_NOT_READY once, no retries, then INVESTMENTS_TRANSACTIONS: HISTORICAL_UPDATE syncs it', async () => {
    const created = simulator.control.createItem({ products: [Products.Investments], webhook: `${service.url}/webhooks/plaid`, ready: false });
    const itemId = await insertItem(service.deps, { plaidItemId: created.itemId, accessToken: created.accessToken, product: 'investments' });
    const before = simulator.control.calls('/investments/transactions/get');
    await service.deps.syncs.request({ itemId, product: 'investments', trigger: 'initial' });
    await eventually(async () => ((await runs(itemId)).length > 0 && (await syncQueuesIdle(database.sql)) ? true : undefined), 20_000, 'the first sync');
    expect(await runs(itemId)).toEqual([{ product: 'investments', trigger: 'initial', status: 'failed', error_code: 'PRODUCT_NOT_READY' }]);
    expect(simulator.control.calls('/investments/transactions/get') - before).toBe(1);
    const [item] = await database.sql<{ status: string; error_code: string | null }[]>`select status, error_code from plaid_items where id = ${itemId}`;
    expect(item).toEqual({ status: 'active', error_code: null });

    simulator.control.markReady(created.itemId, 'historical');
    await simulator.control.idle();
    await eventually(async () => ((await runs(itemId)).some((r) => r.status === 'succeeded') ? true : undefined), 20_000, 'the historical update');
    expect((await runs(itemId)).at(-1)).toEqual({ product: 'investments', trigger: 'webhook', status: 'succeeded', error_code: null });
    const [state] = await database.sql<{ state: string | null }[]>`select state from sync_state where item_id = ${itemId} and product = 'investments'`;
    expect(state!.state).toBeNull();
    const [stored] = await database.sql<{ n: number }[]>`select count(*)::int as n from investment_transactions where item_id = ${itemId}`;
    expect(stored!.n).toBeGreaterThan(0);
  });
});
