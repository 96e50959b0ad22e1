import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markItemNeedsReauth } from '../../src/services/item-status.js';
import { apiClient, linkThroughApi } from '../support/api-client.js';
import { buildTestApp, TEST_PLAID_SECRET } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';

let database: TestDatabase;
let simulator: TestSimulator;
let built: ReturnType<typeof buildTestApp>;
/** Every response body the API sent during this file's flows. */
const responses: string[] = [];
const client = () => apiClient(built.app, randomUUID(), (text) => responses.push(text));

beforeAll(async () => {
  database = await createTestDatabase();
  simulator = startTestSimulator();
  built = buildTestApp(database);
});
afterAll(async () => {
  await simulator.close();
  await database.drop();
});

describe('the flows whose output is scanned', () => {
  it('onboarding, settings, history, revocation, disconnect and re-link', async () => {
    const api = client();
    const first = await linkThroughApi(api, simulator.control);
    expect(first.status).toBe(201);
    const item = first.body.item;
    await api.get('/items');
    await api.get(`/items/${item.id}`);
    await api.patch(`/accounts/${item.accounts[0].id}/settings`, { nickname: 'Main' });
    await api.get(`/accounts/${item.accounts[0].id}/transactions?limit=5`);
    await api.post('/plaid/link-token', { item_id: item.id });
    simulator.control.revokeItem(first.plaidItemId);
    await api.post(`/items/${item.id}/reauth-complete`);
    await api.delete(`/items/${item.id}`);
    expect((await linkThroughApi(api, simulator.control)).status).toBe(201);
  });

  it('update mode and reauth-complete, including the incomplete case', async () => {
    const api = client();
    const linked = await linkThroughApi(api, simulator.control, { institutionId: 'ins_109509' });
    simulator.control.loginRequired(linked.plaidItemId);
    await markItemNeedsReauth(database.db, linked.body.item.id, { code: 'ITEM_LOGIN_REQUIRED' });
    expect((await api.post(`/items/${linked.body.item.id}/reauth-complete`)).status).toBe(409);
    const token = await api.post('/plaid/link-token', { item_id: linked.body.item.id });
    simulator.control.completeLink({ linkToken: token.body.link_token });
    expect((await api.post(`/items/${linked.body.item.id}/reauth-complete`)).status).toBe(200);
  });

  it('refusals and Plaid failures: duplicate, missing product, bad public token, race, outages', async () => {
    const api = client();
    await linkThroughApi(api, simulator.control);
    expect((await linkThroughApi(api, simulator.control, { sendInstitution: false })).status).toBe(409);
    expect((await linkThroughApi(client(), simulator.control, { products: ['transactions', 'liabilities'], product: null })).status).toBe(422);
    expect((await api.post('/plaid/transactions/exchange', { public_token: 'public-sandbox-nope', product: 'transactions' })).status).toBe(422);

    const racer = client();
    const tokens = await Promise.all([racer.post('/plaid/link-token', {}), racer.post('/plaid/link-token', {})]);
    const links = tokens.map((t) => simulator.control.completeLink({ linkToken: t.body.link_token, institutionId: 'ins_109510', transactionCount: 3 }));
    simulator.barrier('/accounts/get', 2);
    const raced = await Promise.all(links.map((l) => racer.post('/plaid/transactions/exchange', { public_token: l.publicToken, product: 'transactions' })));
    expect(raced.map((r) => r.status).sort()).toEqual([201, 409]);

    const owner = client();
    const failing = await linkThroughApi(owner, simulator.control, { institutionId: 'ins_109511' });
    simulator.control.addFault({ endpoint: '/item/remove', kind: 'internal_error', count: 1 });
    expect((await owner.delete(`/items/${failing.body.item.id}`)).status).toBe(503);
    simulator.control.addFault({ endpoint: '/item/public_token/exchange', kind: 'institution_down', count: 1 });
    expect((await linkThroughApi(client(), simulator.control, { institutionId: 'ins_109512' })).status).toBe(503);
  });
});

describe('nothing secret in what was captured', () => {
  it('no access token, public token or Plaid secret appears in any log line or API response', () => {
    const tokens = simulator.control.items().map((i) => i.accessToken);
    expect(tokens.length).toBeGreaterThanOrEqual(8);
    expect(built.logs.length).toBeGreaterThan(20);
    expect(responses.length).toBeGreaterThan(20);
    const captured = [...built.logs.map((line) => JSON.stringify(line)), ...responses];
    for (const text of captured) {
      expect(text).not.toMatch(/access-(sandbox|development|production)-/);
      for (const token of tokens) expect(text).not.toContain(token);
      expect(text).not.toContain(TEST_PLAID_SECRET);
    }
    for (const line of built.logs) expect(JSON.stringify(line)).not.toMatch(/public-sandbox-[0-9a-f]{8}-/);
  });
});
