import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestItemSyncs } from '../../src/admin/item-actions.js';
import { createApp } from '../../src/app.js';
import { PRODUCTS } from '../../src/db/schema/index.js';
import { apiClient, type ApiClient } from '../support/api-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startDeliveringSimulator } from '../support/webhook-e2e.js';
import { eventually } from '../support/webhook-items.js';
import { startTestService, type RunningTestService } from '../support/webhook-service.js';

/**
 * The acceptance test of product entitlement: through every path that syncs (link, webhooks, the
 * hourly status check, refresh all, admin re-sync, history backfill, the per-account sync endpoint),
 * the service calls no product endpoint an item is not entitled to, so Plaid bills nothing that was
 * not asked for. The simulator is strict: items carry the test user's full account set (a brokerage
 * and a mortgage beside the checking account), consent is tracked, and every product call is counted
 * per item.
 */
describe('product entitlement across the item lifecycle (strict simulator)', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startDeliveringSimulator>>;
  let service: RunningTestService;
  let api: ApiClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startDeliveringSimulator(33);
    service = await startTestService(database, { plaidBaseUrl: simulator.url, config: { workerConcurrency: 4 } });
    service.deps.config.webhookUrl = `${service.url}/webhooks/plaid`;
    api = apiClient(createApp(service.deps));
  });
  afterAll(async () => {
    await service?.stop();
    await simulator?.close();
    await database?.drop();
  });

  /** Links through the API as an app does: link token (with the lists), Link at the simulator, exchange. */
  async function link(institutionId: string, lists: Record<string, string[]>) {
    const token = await api.post('/plaid/link-token', lists);
    expect(token.status).toBe(200);
    const completed = simulator.control.completeLink({ linkToken: token.body.link_token, institutionId, transactionCount: 30 });
    const exchanged = await api.post('/plaid/transactions/exchange', { public_token: completed.publicToken });
    expect(exchanged.status).toBe(201);
    return { id: exchanged.body.item.id as string, plaidItemId: completed.itemId, item: exchanged.body.item };
  }

  /** Phases whose syncs never settled; asserted last, so that a wrong call is reported as such first. */
  const stuck: string[] = [];

  /**
   * Waits until every webhook was delivered and dispatched and no sync is queued or running. A refused product call
   * can keep its run retrying for long: the phase is then noted, and the call counts say why.
   */
  // Status checks are paced after the queue's last one (600 a minute here): a job due in a moment
  // is still this phase's work, so it counts as busy.
  async function settled(what: string) {
    await simulator.control.idle();
    await eventually(async () => {
      const [row] = await database.sql<{ busy: number }[]>`
        select (select count(*)::int from sync_runs where status = 'running')
          + (select count(*)::int from webhook_dispatch)
          + (select count(*)::int from pgboss.job where state in ('created', 'active') and start_after <= now() + interval '10 seconds') as busy`;
      return row!.busy === 0 ? true : undefined;
    }, 30_000, what).catch(() => stuck.push(what));
  }

  /** Per item, the products Plaid was called for so far: only those the item is entitled to. */
  function expectOnlyEntitledCalls(items: { plaidItemId: string; entitled: string[] }[]) {
    const calls = simulator.control.stats().productCalls;
    for (const item of items) expect(Object.keys(calls[item.plaidItemId] ?? {}).sort()).toEqual(item.entitled);
  }

  const succeededRuns = async (itemId: string, trigger: string) =>
    (await database.sql<{ product: string }[]>`
      select distinct product from sync_runs where item_id = ${itemId} and trigger = ${trigger} and status = 'succeeded' order by product`).map((r) => r.product);

  it('calls only the products each item is entitled to, and bills only what was asked for', async () => {
    // A: linked for transactions only; its brokerage, 401k and mortgage are stored but never synced.
    const a = await link('ins_109508', { products: ['transactions'] });
    // B: transactions, plus investments the user consented to at Link (synced, and so added and billed, as asked).
    const b = await link('ins_109511', { products: ['transactions'], additional_consented_products: ['investments'] });
    expect(a.item.entitled_products).toEqual(['transactions']);
    expect(b.item.entitled_products).toEqual(['investments', 'transactions']);
    const aProducts = new Set((a.item.accounts as { product: string }[]).map((account) => account.product));
    expect(aProducts).toEqual(new Set(['transactions', 'investments', 'liabilities']));
    expect(a.item.sync.investments.enabled).toBe(false);
    expect(a.item.sync.liabilities.enabled).toBe(false);
    const entitled = [{ plaidItemId: a.plaidItemId, entitled: ['transactions'] }, { plaidItemId: b.plaidItemId, entitled: ['investments', 'transactions'] }];
    await settled('initial syncs');
    expectOnlyEntitledCalls(entitled);
    expect(await succeededRuns(a.id, 'initial')).toEqual(['transactions']);
    expect(await succeededRuns(b.id, 'initial')).toEqual(['investments', 'transactions']);

    // Webhooks: transactions news, and holdings and liabilities news for A, which is not entitled to either.
    simulator.control.advance(a.plaidItemId, { added: 3 });
    simulator.control.updateHoldings(a.plaidItemId, { added: 1, updated: 1 });
    simulator.control.updateLiabilities(a.plaidItemId);
    simulator.control.updateHoldings(b.plaidItemId, { added: 1 });
    await settled('webhook syncs');
    expectOnlyEntitledCalls(entitled);
    expect(await succeededRuns(a.id, 'webhook')).toEqual(['transactions']);
    expect(await succeededRuns(b.id, 'webhook')).toEqual(['investments']);

    // The hourly status check (every item) and refresh all (the user's items).
    await service.queue.queue.requestStatusChecks({ trigger: 'schedule' });
    await settled('status checks');
    expectOnlyEntitledCalls(entitled);
    expect(await succeededRuns(a.id, 'schedule')).toEqual(['transactions']);
    expect((await api.post('/items/refresh-all')).status).toBe(202);
    await settled('refresh all');
    expectOnlyEntitledCalls(entitled);
    expect(await succeededRuns(a.id, 'refresh_all')).toEqual(['transactions']);

    // The admin page: re-sync the item, a per-product re-sync of a product it is not entitled to, and history backfill.
    const resync = await requestItemSyncs(service.deps, { itemId: a.id, trigger: 'admin' });
    expect(resync.products).toEqual(['transactions']);
    await requestItemSyncs(service.deps, { itemId: a.id, products: ['investments'], trigger: 'admin' });
    await requestItemSyncs(service.deps, { itemId: a.id, products: [...PRODUCTS], trigger: 'backfill', fromScratch: true });
    await settled('admin syncs');
    expectOnlyEntitledCalls(entitled);
    expect(await succeededRuns(a.id, 'admin')).toEqual(['transactions']);
    expect(await succeededRuns(a.id, 'backfill')).toEqual(['transactions']);

    // The per-account sync endpoint on A's brokerage account: refused, without a call.
    const brokerage = (a.item.accounts as { id: string; product: string }[]).find((account) => account.product === 'investments')!;
    const sync = await api.post('/products/investments/transactions/sync', { account_id: brokerage.id });
    expect(sync.status).toBe(200);
    expect(sync.body.updated).toBe(false);
    expect(JSON.stringify(sync.body.errors)).toContain('PRODUCT_NOT_ENTITLED');

    // Enabling investments on A is explicit, and refused up front: the user never consented to it.
    const enable = await api.post(`/items/${a.id}/products/investments`, { accept_billing: true });
    expect(enable.status).toBe(409);
    expect(enable.body.error.code).toBe('additional_consent_required');

    expectOnlyEntitledCalls(entitled);
    expect(simulator.control.stats().billedAdds).toEqual([{ itemId: b.plaidItemId, product: 'investments' }]);
    expect(simulator.control.item(a.plaidItemId).products).toEqual(['transactions']);
    expect(stuck).toEqual([]);
    // Seven waits for a queue and its workers under a shared, loaded machine.
  }, 180_000);
});
