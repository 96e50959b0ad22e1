import { describe, expect, it } from 'vitest';
import { apiClient } from '../../support/api-client.js';
import { useDatabaseAndSimulator, recordingApi } from '../../support/test-environment.js';

const env = useDatabaseAndSimulator();

const setup = () => recordingApi(env.database);

/** Links through the API with the given Link lists; the exchange requests the initial syncs. */
async function linked(api: ReturnType<typeof apiClient>, lists: Record<string, string[]>, institutionId = 'ins_109508') {
  const token = await api.post('/plaid/link-token', lists);
  expect(token.status).toBe(200);
  const completed = env.simulator.control.completeLink({ linkToken: token.body.link_token, institutionId, transactionCount: 5 });
  const exchanged = await api.post('/plaid/transactions/exchange', { public_token: completed.publicToken, product: 'transactions' });
  expect(exchanged.status).toBe(201);
  return { item: exchanged.body.item, plaidItemId: completed.itemId };
}

const productCalls = (plaidItemId: string) => env.simulator.control.stats().productCalls[plaidItemId] ?? {};

describe('entitlement at the exchange', () => {
  it('entitles the item to what Plaid confirms: the linked product, supported optional ones and additional-consented ones', async () => {
    const { api, syncs } = setup();
    // First Gingham has no investments: the optional investments is not initialized, nor entitled.
    const { item } = await linked(api, { products: ['transactions'], optional_products: ['investments', 'liabilities'] }, 'ins_109509');
    expect(item.entitled_products).toEqual(['liabilities', 'transactions']);
    expect(item.sync.liabilities.enabled).toBe(true);
    expect(item.sync.investments.enabled).toBe(false);
    expect(syncs.requests.map((r) => r.product).sort()).toEqual(['liabilities', 'transactions']);
  });
});

describe('POST /api/items/{id}/products/{product}', () => {
  it('enables a consented product on purpose: entitled, a sync requested; enabling it again changes nothing', async () => {
    const { api, syncs } = setup();
    const { item, plaidItemId } = await linked(api, { products: ['transactions'], additional_consented_products: ['liabilities'] });
    expect(item.entitled_products).toEqual(['liabilities', 'transactions']);
    // As an item linked before entitlement existed: consented at Plaid, not (yet) entitled here.
    await env.database.sql`update plaid_items set entitled_products = '{transactions}' where id = ${item.id}`;
    syncs.requests.length = 0;

    const res = await api.post(`/items/${item.id}/products/liabilities`, { accept_billing: true });
    expect(res.status).toBe(200);
    expect(res.body.entitled_products).toEqual(['liabilities', 'transactions']);
    expect(res.body.sync.liabilities.enabled).toBe(true);
    expect(syncs.requests).toEqual([{ itemId: item.id, product: 'liabilities', trigger: 'api' }]);
    // Only /item/get so far: the sync's first call is what adds the product at Plaid.
    expect(productCalls(plaidItemId)).toEqual({});

    const again = await api.post(`/items/${item.id}/products/liabilities`, { accept_billing: true });
    expect(again.status).toBe(200);
    expect(syncs.requests).toHaveLength(1);
  });

  it('refuses a product the user did not consent to (409 additional_consent_required) before anything is billed', async () => {
    const { api, syncs } = setup();
    const { item, plaidItemId } = await linked(api, { products: ['transactions'] }, 'ins_109510');
    syncs.requests.length = 0;
    const res = await api.post(`/items/${item.id}/products/investments`, { accept_billing: true });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'additional_consent_required' });
    expect(productCalls(plaidItemId)).toEqual({});
    expect(env.simulator.control.stats().billedAdds).toEqual([]);
    expect(syncs.requests).toEqual([]);
    expect((await api.get(`/items/${item.id}`)).body.entitled_products).toEqual(['transactions']);
  });

  it('answers 422 without the billing acknowledgement or for an unknown product, 404 for another user’s item', async () => {
    const { api, app } = setup();
    const { item } = await linked(api, { products: ['transactions'] }, 'ins_109511');
    expect((await api.post(`/items/${item.id}/products/investments`, {})).status).toBe(422);
    expect((await api.post(`/items/${item.id}/products/investments`, { accept_billing: false })).status).toBe(422);
    expect((await api.post(`/items/${item.id}/products/identity`, { accept_billing: true })).status).toBe(422);
    expect((await apiClient(app).post(`/items/${item.id}/products/investments`, { accept_billing: true })).status).toBe(404);
  });
});
