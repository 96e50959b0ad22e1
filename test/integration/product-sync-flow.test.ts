import { describe, expect, it } from 'vitest';
import { PRODUCTS } from '../../src/db/schema/products.js';
import { apiClient, linkThroughApi } from '../support/api-client.js';
import { buildTestApp } from '../support/app.js';
import { useSyncFixture } from '../support/sync-fixture.js';
import { expectTransactionsMatchTruth } from '../support/sync-harness.js';

const fx = useSyncFixture();

describe('product sync flow', () => {
  it('link an account → product enforced → POST /api/products/transactions/transactions/sync → transactions stored', async () => {
    const { app } = buildTestApp(fx.database, { syncs: fx.syncs, vault: fx.harness.vault });
    const api = apiClient(app);

    const linked = await linkThroughApi(api, fx.sim.control, { product: 'transactions' });
    expect(linked.status).toBe(201);
    const accounts: { id: string; product: string; type: string }[] = linked.body.item.accounts;
    expect(accounts.length).toBeGreaterThan(0);
    expect(accounts.every((a) => (PRODUCTS as readonly string[]).includes(a.product))).toBe(true);
    const checking = accounts.find((a) => a.product === 'transactions' && a.type === 'depository')!;

    const other = accounts.find((a) => a.product !== 'transactions');
    if (other) expect((await api.post(`/products/transactions/transactions/sync`, { account_id: other.id })).status).toBe(422);

    const synced = await api.post('/products/transactions/transactions/sync', { account_id: checking.id });
    expect(synced.status).toBe(200);
    expect(synced.body.errors).toEqual([]);
    await fx.harness.engine.idle();

    const item = { itemId: linked.body.item.id as string, plaidItemId: linked.plaidItemId, userId: api.userId, accounts: [] };
    await expectTransactionsMatchTruth(fx.database.db, fx.sim.control, item);
    const page = await api.get(`/accounts/${checking.id}/transactions?limit=500`);
    expect(page.status).toBe(200);
    expect(page.body.transactions.length).toBeGreaterThan(0);
  });
});
