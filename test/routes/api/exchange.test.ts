/* eslint-disable @typescript-eslint/no-unsafe-call -- API response bodies are untyped JSON */
import { eq } from 'drizzle-orm';
import { Products } from 'plaid';
import { describe, expect, it } from 'vitest';
import { plaidAccounts, plaidItems } from '../../../src/db/schema/index.js';
import { apiClient, linkThroughApi } from '../../support/api-client.js';
import { buildTestApp, recordingScheduler } from '../../support/app.js';
import { checkItemStatus } from '../../../src/status/status-check.js';
import { useDatabaseAndSimulator, recordingApi } from '../../support/test-environment.js';

const env = useDatabaseAndSimulator();

const setup = () => recordingApi(env.database);

const itemsOf = (userId: string) => env.database.db.select().from(plaidItems).where(eq(plaidItems.userId, userId));
const accountsOf = (userId: string) => env.database.db.select().from(plaidAccounts).where(eq(plaidAccounts.userId, userId));

/** Link completed at the env.simulator; returns the public token without exchanging it. */
async function completeLink(api: ReturnType<typeof apiClient>, products: string[] = ['transactions'], institutionId = 'ins_109508') {
  const token = await api.post('/plaid/link-token', { products });
  expect(token.status).toBe(200);
  return env.simulator.control.completeLink({ linkToken: token.body.link_token, institutionId, transactionCount: 5 });
}

describe('POST /api/plaid/transactions/exchange', () => {
  it('creates an active item with the product from the payload and requests the initial sync', async () => {
    const { api, syncs } = setup();
    const res = await linkThroughApi(api, env.simulator.control, { product: 'transactions' });
    expect(res.status).toBe(201);
    const { item } = res.body;
    expect(item).toMatchObject({ status: 'active', action: 'none', product: 'transactions', institution_id: 'ins_109508', plaid_item_id: res.plaidItemId });
    expect(item.accounts.length).toBeGreaterThan(0);
    expect(item.accounts.every((a: { status: string }) => a.status === 'active')).toBe(true);
    expect(item.entitled_products).toEqual(['transactions']);
    expect(typeof item.accounts[0].balances.current).toBe('string');

    const [stored] = await itemsOf(api.userId);
    expect(stored).toMatchObject({ id: item.id, product: 'transactions', status: 'active', plaidItemId: res.plaidItemId });
    // The full account set, as in Sandbox: every account is stored, each scoped to a product that reads
    // it; only the linked product is synced (the brokerage's investments would be added and billed).
    const accounts = await accountsOf(api.userId);
    expect(new Set(accounts.map((a) => `${a.type}:${a.product}`))).toEqual(
      new Set(['depository:transactions', 'credit:transactions', 'loan:transactions', 'investment:investments', 'loan:liabilities']),
    );
    expect(accounts.map((a) => a.plaidAccountId).sort()).toEqual([...env.simulator.control.item(res.plaidItemId).accountIds].sort());
    expect(syncs.requests).toEqual([{ itemId: item.id, product: 'transactions', trigger: 'initial' }]);
  });

  it('infers the product from Plaid’s item metadata when the payload has none', async () => {
    const { api, syncs } = setup();
    const res = await linkThroughApi(api, env.simulator.control, { products: ['investments'], product: null });
    expect(res.status).toBe(201);
    expect(res.body.item.product).toBe('investments');
    const accounts = await accountsOf(api.userId);
    expect(accounts.length).toBeGreaterThan(0);
    expect(accounts.filter((a) => a.type === 'investment').every((a) => a.product === 'investments')).toBe(true);
    expect(res.body.item.entitled_products).toEqual(['investments']);
    expect(syncs.requests).toEqual([{ itemId: res.body.item.id, product: 'investments', trigger: 'initial' }]);
  });

  it('scopes each account to a product that can read it (liabilities link at a lender)', async () => {
    const { api } = setup();
    const res = await linkThroughApi(api, env.simulator.control, { institutionId: 'ins_sim_lender', products: ['liabilities'], product: 'liabilities' });
    expect(res.status).toBe(201);
    const accounts = await accountsOf(api.userId);
    expect(accounts.map((a) => [a.subtype, a.product]).sort()).toEqual([
      ['mortgage', 'liabilities'],
      ['student', 'liabilities'],
    ]);
  });

  it('stores the products it syncs that Plaid lists on the item, sorted: what the status check stores too', async () => {
    const { api, deps } = setup();
    // Plaid lists every product on the item, in no set order; auth is not one the service syncs.
    const { public_token } = (await deps.plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508', initial_products: [Products.Transactions, Products.Auth, Products.Liabilities],
    })).data;
    const res = await api.post('/plaid/transactions/exchange', { public_token, product: 'transactions' });
    expect(res.status).toBe(201);
    expect(res.body.item.products).toEqual(['liabilities', 'transactions']);

    await checkItemStatus({ ...deps, syncs: recordingScheduler() }, { itemId: res.body.item.id, trigger: 'schedule' });
    const [stored] = await itemsOf(api.userId);
    expect(stored!.products).toEqual(['liabilities', 'transactions']);
    const updates = await env.database.sql`select 1 from change_feed where kind = 'item.updated' and item_id = ${res.body.item.id}`;
    expect(updates).toHaveLength(0);
  });

  it('answers 422 "Missing Plaid product" when neither payload nor metadata names one, and removes the Plaid item', async () => {
    const { api, syncs } = setup();
    const res = await linkThroughApi(api, env.simulator.control, { products: ['transactions', 'liabilities'], product: null });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', message: 'Missing Plaid product' });
    expect(res.body.error.requestId).toEqual(expect.any(String));
    expect(await itemsOf(api.userId)).toEqual([]);
    expect(env.simulator.control.item(res.plaidItemId).removed).toBe(true);
    expect(syncs.requests).toEqual([]);
  });

  it('answers 422 for a product outside the enum, before anything happens at Plaid', async () => {
    const { api } = setup();
    const link = await completeLink(api);
    const before = env.simulator.control.calls('/item/public_token/exchange');
    const res = await api.post('/plaid/transactions/exchange', { public_token: link.publicToken, product: 'auth' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain('product');
    expect(env.simulator.control.calls('/item/public_token/exchange')).toBe(before);
  });

  it('answers 422 for a malformed body and 415 for one that is not JSON', async () => {
    const { api, app } = setup();
    const missing = await api.post('/plaid/transactions/exchange', { product: 'transactions' });
    expect(missing.status).toBe(422);
    expect(missing.body.error.message).toContain('public_token');
    const text = await app.request('/api/plaid/transactions/exchange', {
      method: 'POST',
      headers: { authorization: 'Bearer test-api-token-0123456789', 'x-user-id': api.userId, 'content-type': 'text/plain' },
      body: 'public_token=x',
    });
    expect(text.status).toBe(415);
  });

  it('answers 409 with the existing item before exchanging when the institution is already linked', async () => {
    const { api } = setup();
    const first = await linkThroughApi(api, env.simulator.control);
    const link = await completeLink(api);
    const exchanges = env.simulator.control.calls('/item/public_token/exchange');
    const res = await api.post('/plaid/transactions/exchange', { public_token: link.publicToken, product: 'transactions', institution: { institution_id: 'ins_109508' } });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'duplicate_institution',
      details: { existing_item_id: first.body.item.id, status: 'active', action: 'none' },
    });
    expect(env.simulator.control.calls('/item/public_token/exchange')).toBe(exchanges);
    expect(await itemsOf(api.userId)).toHaveLength(1);
  });

  it('names action "fix" when the existing item needs re-authentication', async () => {
    const { api } = setup();
    const first = await linkThroughApi(api, env.simulator.control);
    await env.database.db.update(plaidItems).set({ status: 'needs_reauth' }).where(eq(plaidItems.id, first.body.item.id));
    const again = await linkThroughApi(api, env.simulator.control);
    expect(again.status).toBe(409);
    expect(again.body.error.details).toEqual({ existing_item_id: first.body.item.id, status: 'needs_reauth', action: 'fix' });
  });

  it('detects the duplicate from Plaid’s metadata when the payload has no institution, and removes the new Plaid item', async () => {
    const { api } = setup();
    await linkThroughApi(api, env.simulator.control);
    const again = await linkThroughApi(api, env.simulator.control, { sendInstitution: false });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('duplicate_institution');
    expect(env.simulator.control.item(again.plaidItemId).removed).toBe(true);
    expect(await itemsOf(api.userId)).toHaveLength(1);
  });

  it('lets exactly one of two racing exchanges for one institution win; the loser’s Plaid item is removed', async () => {
    const { api } = setup();
    const [a, b] = [await completeLink(api), await completeLink(api)];
    const removesBefore = env.simulator.control.calls('/item/remove');
    // Both requests pass every check before either writes: only the unique index can decide.
    env.simulator.barrier('/accounts/get', 2);
    const payload = (publicToken: string) => ({ public_token: publicToken, product: 'transactions', institution: { institution_id: 'ins_109508' } });
    const results = await Promise.all([api.post('/plaid/transactions/exchange', payload(a.publicToken)), api.post('/plaid/transactions/exchange', payload(b.publicToken))]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const winner = results.find((r) => r.status === 201)!;
    const loser = results.find((r) => r.status === 409)!;
    expect(loser.body.error.details).toMatchObject({ existing_item_id: winner.body.item.id, status: 'active' });

    const items = await itemsOf(api.userId);
    expect(items).toHaveLength(1);
    const loserPlaidId = [a.itemId, b.itemId].find((id) => id !== items[0]!.plaidItemId)!;
    expect(env.simulator.control.item(loserPlaidId).removed).toBe(true);
    expect(env.simulator.control.item(items[0]!.plaidItemId).removed).toBe(false);
    expect(env.simulator.control.calls('/item/remove')).toBe(removesBefore + 1);
    expect((await accountsOf(api.userId)).every((acc) => acc.itemId === items[0]!.id)).toBe(true);
  });

  it('stores the access token encrypted: not the plaintext, and it decrypts to it', async () => {
    const { api, deps } = setup();
    const res = await linkThroughApi(api, env.simulator.control);
    const [stored] = await itemsOf(api.userId);
    const plaintext = env.simulator.control.item(res.plaidItemId).accessToken;
    expect(stored!.accessTokenCiphertext).not.toContain(plaintext);
    expect(stored!.accessTokenCiphertext).not.toMatch(/access-sandbox/);
    expect(deps.vault.decrypt({ keyId: stored!.accessTokenKeyId, ciphertext: stored!.accessTokenCiphertext }, stored!.plaidItemId)).toBe(plaintext);
    expect(JSON.stringify(res.body)).not.toContain(plaintext);
  });

  it('answers 422 for a public token Plaid does not know', async () => {
    const { api } = setup();
    const res = await api.post('/plaid/transactions/exchange', { public_token: 'public-sandbox-00000000-0000-4000-8000-000000000000', product: 'transactions' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'invalid_public_token', details: { plaid_error_code: 'INVALID_PUBLIC_TOKEN' } });
  });

  it('answers 503 when Plaid is down, and removes the item when a later call fails', async () => {
    const { api } = setup();
    const link = await completeLink(api);
    env.simulator.control.addFault({ endpoint: '/item/public_token/exchange', kind: 'planned_maintenance', count: 1 });
    const down = await api.post('/plaid/transactions/exchange', { public_token: link.publicToken, product: 'transactions' });
    expect(down.status).toBe(503);
    expect(down.body.error).toMatchObject({ code: 'plaid_unavailable', details: { plaid_error_code: 'PLANNED_MAINTENANCE' } });

    const second = await completeLink(api);
    env.simulator.control.addFault({ endpoint: '/accounts/get', kind: 'internal_error', count: 1 });
    const failed = await api.post('/plaid/transactions/exchange', { public_token: second.publicToken, product: 'transactions' });
    expect(failed.status).toBe(503);
    expect(env.simulator.control.item(second.itemId).removed).toBe(true);
    expect(await itemsOf(api.userId)).toEqual([]);
  });

  it('still answers 201 when the sync request fails; the schedule picks the item up', async () => {
    const built = buildTestApp(env.database, { syncs: { request: () => Promise.reject(new Error('queue down')) } });
    const api = apiClient(built.app);
    const res = await linkThroughApi(api, env.simulator.control);
    expect(res.status).toBe(201);
    expect(built.logs.some((line) => line.msg === 'sync_request_failed')).toBe(true);
  });
});
