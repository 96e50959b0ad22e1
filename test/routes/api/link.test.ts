import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { plaidItems } from '../../../src/db/schema/index.js';
import { apiClient, linkThroughApi } from '../../support/api-client.js';
import { buildTestApp, testConfig } from '../../support/app.js';
import { useDatabaseAndSimulator } from '../../support/test-environment.js';

const env = useDatabaseAndSimulator();

const lastLinkRequest = () => env.simulator.requests.filter((r) => r.endpoint === '/link/token/create').at(-1)!.body;

describe('POST /api/plaid/link-token', () => {
  it('normal mode: the requested products, the webhook URL and the user as client user id', async () => {
    const { app } = buildTestApp(env.database);
    const api = apiClient(app);
    const res = await api.post('/plaid/link-token', { products: ['transactions', 'liabilities'] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ link_token: expect.stringMatching(/^link-sandbox-/), expiration: expect.any(String) });
    expect(lastLinkRequest()).toMatchObject({
      products: ['transactions', 'liabilities'],
      webhook: 'https://service.test/webhooks/plaid',
      user: { client_user_id: api.userId },
      country_codes: ['US'],
    });
    expect(lastLinkRequest()).not.toHaveProperty('access_token');
  });

  it('normal mode: passes required-if-supported, optional and additional-consented products to Plaid, and refuses a product in two lists', async () => {
    const { app } = buildTestApp(env.database);
    const api = apiClient(app);
    const res = await api.post('/plaid/link-token', {
      products: ['transactions'],
      required_if_supported_products: ['liabilities'],
      additional_consented_products: ['investments'],
    });
    expect(res.status).toBe(200);
    expect(lastLinkRequest()).toMatchObject({
      products: ['transactions'],
      required_if_supported_products: ['liabilities'],
      additional_consented_products: ['investments'],
    });
    expect(lastLinkRequest()).not.toHaveProperty('optional_products');
    const twice = await api.post('/plaid/link-token', { products: ['transactions'], optional_products: ['transactions'] });
    expect(twice.status).toBe(422);
    const defaulted = await api.post('/plaid/link-token', { optional_products: ['transactions'] });
    expect(defaulted.status).toBe(422);
    const unknown = await api.post('/plaid/link-token', { optional_products: ['identity'] });
    expect(unknown.status).toBe(422);
    const update = await api.post('/plaid/link-token', { item_id: randomUUID(), optional_products: ['liabilities'] });
    expect(update.status).toBe(422);
  });

  it('defaults to transactions, with or without a body, and leaves out the webhook when none is configured', async () => {
    const { app } = buildTestApp(env.database, { config: testConfig({ webhookUrl: undefined }) });
    const api = apiClient(app);
    expect((await api.post('/plaid/link-token', {})).status).toBe(200);
    expect(lastLinkRequest()).toMatchObject({ products: ['transactions'] });
    expect(lastLinkRequest()).not.toHaveProperty('webhook');
    expect((await api.post('/plaid/link-token')).status).toBe(200);
    expect(lastLinkRequest()).toMatchObject({ products: ['transactions'] });
  });

  it('update mode: the item’s access token, no products, account selection only when new accounts are available', async () => {
    const { app } = buildTestApp(env.database);
    const api = apiClient(app);
    const linked = await linkThroughApi(api, env.simulator.control);
    const itemId = linked.body.item.id as string;
    const accessToken = env.simulator.control.item(linked.plaidItemId).accessToken;

    const plain = await api.post('/plaid/link-token', { item_id: itemId });
    expect(plain.status).toBe(200);
    expect(lastLinkRequest()).toMatchObject({ access_token: accessToken, update: { account_selection_enabled: false } });
    expect(lastLinkRequest()).not.toHaveProperty('products');
    expect(JSON.stringify(plain.body)).not.toContain(accessToken);

    await env.database.db.update(plaidItems).set({ newAccountsAvailable: true }).where(eq(plaidItems.id, itemId));
    await api.post('/plaid/link-token', { item_id: itemId });
    expect(lastLinkRequest()).toMatchObject({ update: { account_selection_enabled: true } });
  });

  it('update mode answers 404 for another user’s item and 409 for a disconnected one', async () => {
    const { app } = buildTestApp(env.database);
    const api = apiClient(app);
    const linked = await linkThroughApi(api, env.simulator.control, { institutionId: 'ins_109509' });
    const itemId = linked.body.item.id as string;
    expect((await apiClient(app).post('/plaid/link-token', { item_id: itemId })).status).toBe(404);
    await api.delete(`/items/${itemId}`);
    const gone = await api.post('/plaid/link-token', { item_id: itemId });
    expect(gone.status).toBe(409);
    expect(gone.body.error).toMatchObject({ code: 'item_disconnected', details: { action: 'relink' } });
  });

  it('answers 422 for an unknown product, an empty list, or both modes at once', async () => {
    const { app } = buildTestApp(env.database);
    const api = apiClient(app);
    for (const body of [{ products: ['auth'] }, { products: [] }, { products: ['transactions'], item_id: '6a1f3d4e-2b9c-4f7a-8e5d-1c2b3a4d5e6f' }, { item_id: 'nope' }]) {
      const res = await api.post('/plaid/link-token', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('answers 503 when Plaid is unavailable', async () => {
    const { app } = buildTestApp(env.database);
    env.simulator.control.addFault({ endpoint: '/link/token/create', kind: 'internal_error', count: 1 });
    const res = await apiClient(app).post('/plaid/link-token', {});
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'plaid_unavailable', details: { plaid_error_code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('simulator mode: the answer carries the simulator\'s Link page for the token (hosted_link_url); other modes ask for no Hosted Link', async () => {
    env.simulator.sim.setPublicUrl('http://127.0.0.1:4999');
    const { app } = buildTestApp(env.database);
    const res = await apiClient(app).post('/plaid/link-token', { products: ['investments'] });
    expect(res.status).toBe(200);
    expect(lastLinkRequest()).toMatchObject({ hosted_link: {} });
    expect(res.body.hosted_link_url).toBe(`http://127.0.0.1:4999/link?token=${encodeURIComponent(res.body.link_token as string)}`);

    const sandbox = testConfig();
    const { app: sandboxApp } = buildTestApp(env.database, { config: { ...sandbox, plaid: { ...sandbox.plaid, env: 'sandbox' } } });
    const plain = await apiClient(sandboxApp).post('/plaid/link-token', {});
    expect(plain.status).toBe(200);
    expect(lastLinkRequest()).not.toHaveProperty('hosted_link');
    expect(plain.body).not.toHaveProperty('hosted_link_url');
  });
});
