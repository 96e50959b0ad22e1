/* eslint-disable @typescript-eslint/no-unsafe-call -- API response bodies are untyped JSON */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { plaidAccounts, plaidItems, plaidTransactions } from '../../../src/db/schema/index.js';
import { markItemNeedsReauth } from '../../../src/services/item-status.js';
import { apiClient, linkThroughApi, type ApiClient } from '../../support/api-client.js';
import { useDatabaseAndSimulator, recordingApi } from '../../support/test-environment.js';

const env = useDatabaseAndSimulator();

const setup = () => recordingApi(env.database);

async function linked(api: ApiClient, institutionId = 'ins_109508') {
  const res = await linkThroughApi(api, env.simulator.control, { institutionId });
  expect(res.status).toBe(201);
  return { item: res.body.item, plaidItemId: res.plaidItemId };
}

async function storeHistory(itemId: string, accountId: string) {
  await env.database.db.insert(plaidTransactions).values([
    { plaidTransactionId: `tx-${randomUUID()}`, accountId, itemId, amount: '12.34', date: '2026-01-02', name: 'Coffee' },
    { plaidTransactionId: `tx-${randomUUID()}`, accountId, itemId, amount: '-100.00', date: '2026-01-03', name: 'Refund' },
  ]);
}

describe('GET /api/items', () => {
  it('lists only the caller’s items, each with the action to offer', async () => {
    const { api, app } = setup();
    const active = await linked(api, 'ins_109508');
    const broken = await linked(api, 'ins_109509');
    const gone = await linked(api, 'ins_109510');
    await markItemNeedsReauth(env.database.db, broken.item.id, { code: 'ITEM_LOGIN_REQUIRED' });
    await env.database.db.update(plaidItems).set({ status: 'disconnected' }).where(eq(plaidItems.id, gone.item.id));
    const other = apiClient(app);
    await linked(other);

    const res = await api.get('/items');
    expect(res.status).toBe(200);
    const byId = new Map(res.body.items.map((i: { id: string }) => [i.id, i]));
    expect(byId.size).toBe(3);
    expect(byId.get(active.item.id)).toMatchObject({ status: 'active', action: 'none' });
    expect(byId.get(broken.item.id)).toMatchObject({ status: 'needs_reauth', action: 'fix', error_code: 'ITEM_LOGIN_REQUIRED' });
    expect(byId.get(gone.item.id)).toMatchObject({ status: 'disconnected', action: 'relink' });
    expect(JSON.stringify(res.body)).not.toMatch(/access-sandbox|ciphertext/i);
  });

  it('answers an empty list for a user without items', async () => {
    const { api } = setup();
    expect(await api.get('/items')).toEqual({ status: 200, body: { items: [] } });
  });
});

describe('GET /api/items/{id}', () => {
  it('returns the item with its accounts and their settings', async () => {
    const { api } = setup();
    const { item } = await linked(api);
    const res = await api.get(`/items/${item.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: item.id, status: 'active' });
    expect(res.body.accounts[0]).toMatchObject({ item_id: item.id, status: 'active', settings: { nickname: null, notes: null, payment_status: null } });
  });

  it('answers 404 for another user’s item and 422 for an id that is not a UUID', async () => {
    const { api, app } = setup();
    const { item } = await linked(api);
    const stranger = apiClient(app);
    const res = await stranger.get(`/items/${item.id}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect((await api.get('/items/not-a-uuid')).status).toBe(422);
  });
});

describe('DELETE /api/items/{id}', () => {
  it('removes the item at Plaid and soft-deletes it: accounts inactive, history still readable', async () => {
    const { api } = setup();
    const { item, plaidItemId } = await linked(api);
    const accountId = item.accounts[0].id as string;
    await storeHistory(item.id, accountId);

    const res = await api.delete(`/items/${item.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: item.id, status: 'disconnected', action: 'relink' });
    expect(res.body.disconnected_at).toEqual(expect.any(String));
    expect(res.body.accounts.every((a: { status: string }) => a.status === 'inactive')).toBe(true);
    expect(env.simulator.control.item(plaidItemId).removed).toBe(true);

    const history = await api.get(`/accounts/${accountId}/transactions`);
    expect(history.status).toBe(200);
    expect(history.body.transactions.map((t: { amount: string }) => t.amount)).toEqual(['-100.00', '12.34']);
    expect(await env.database.db.select().from(plaidAccounts).where(eq(plaidAccounts.itemId, item.id))).toHaveLength(item.accounts.length);
  });

  it('is harmless the second time: no second call to Plaid', async () => {
    const { api } = setup();
    const { item } = await linked(api);
    await api.delete(`/items/${item.id}`);
    const removes = env.simulator.control.calls('/item/remove');
    const again = await api.delete(`/items/${item.id}`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('disconnected');
    expect(env.simulator.control.calls('/item/remove')).toBe(removes);
  });

  it('tolerates ITEM_NOT_FOUND (already revoked at Plaid)', async () => {
    const { api, logs } = setup();
    const { item, plaidItemId } = await linked(api);
    env.simulator.control.revokeItem(plaidItemId);
    const res = await api.delete(`/items/${item.id}`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('disconnected');
    expect(logs.some((l) => l.msg === 'item_already_removed_at_plaid' && (l.err as { plaidErrorCode?: string } | undefined)?.plaidErrorCode === 'ITEM_NOT_FOUND')).toBe(true);
  });

  it('keeps the item when Plaid cannot remove it (503), so nothing is billed unseen', async () => {
    const { api } = setup();
    const { item } = await linked(api);
    env.simulator.control.addFault({ endpoint: '/item/remove', kind: 'internal_error', count: 1 });
    const res = await api.delete(`/items/${item.id}`);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('plaid_unavailable');
    expect((await api.get(`/items/${item.id}`)).body.status).toBe('active');
  });

  it('answers 404 for another user’s item and leaves it alone', async () => {
    const { api, app } = setup();
    const { item, plaidItemId } = await linked(api);
    expect((await apiClient(app).delete(`/items/${item.id}`)).status).toBe(404);
    expect(env.simulator.control.item(plaidItemId).removed).toBe(false);
  });
});

describe('POST /api/items/{id}/reauth-complete', () => {
  async function brokenItem(api: ApiClient) {
    const { item, plaidItemId } = await linked(api);
    env.simulator.control.loginRequired(plaidItemId);
    await markItemNeedsReauth(env.database.db, item.id, { code: 'ITEM_LOGIN_REQUIRED' });
    return { item, plaidItemId };
  }

  it('after update mode: same item active again, nothing duplicated, a reauth sync requested', async () => {
    const { api, syncs } = setup();
    const { item, plaidItemId } = await brokenItem(api);
    const token = await api.post('/plaid/link-token', { item_id: item.id });
    expect(token.status).toBe(200);
    const completion = env.simulator.control.completeLink({ linkToken: token.body.link_token });
    expect(completion).toMatchObject({ updateMode: true, itemId: plaidItemId });
    syncs.requests.length = 0;

    const res = await api.post(`/items/${item.id}/reauth-complete`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: item.id, status: 'active', action: 'none', error_code: null });
    expect(res.body.accounts.map((a: { id: string }) => a.id).sort()).toEqual(item.accounts.map((a: { id: string }) => a.id).sort());
    expect(await env.database.db.select().from(plaidItems).where(eq(plaidItems.userId, api.userId))).toHaveLength(1);
    expect(syncs.requests).toEqual([{ itemId: item.id, product: 'transactions', trigger: 'reauth' }]);
  });

  it('after update mode that renewed consent: Plaid’s new expiry, no pending disconnect, nothing left to warn about', async () => {
    const { api } = setup();
    const { item, plaidItemId } = await linked(api, 'ins_109511');
    // Both warnings arrived (PENDING_EXPIRATION, PENDING_DISCONNECT); Plaid's consent ends in a week.
    env.simulator.control.pendingExpiration(plaidItemId);
    await env.database.sql`update plaid_items set consent_expires_at = now() + interval '7 days', pending_disconnect_at = now() + interval '7 days'
      where id = ${item.id}`;
    expect((await api.get(`/items/${item.id}`)).body).toMatchObject({ consent_expiring: true });

    const token = await api.post('/plaid/link-token', { item_id: item.id });
    env.simulator.control.completeLink({ linkToken: token.body.link_token });
    const res = await api.post(`/items/${item.id}/reauth-complete`);
    expect(res.status).toBe(200);
    const renewed = env.simulator.control.item(plaidItemId).consentExpirationTime;
    expect(Date.parse(renewed!)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
    expect(res.body).toMatchObject({ status: 'active', consent_expiring: false, pending_disconnect_at: null });
    expect(Date.parse(res.body.consent_expires_at)).toBe(Date.parse(renewed!));
  });

  it('answers 409 reauth_incomplete while Plaid still needs the login', async () => {
    const { api, syncs } = setup();
    const { item } = await brokenItem(api);
    syncs.requests.length = 0;
    const res = await api.post(`/items/${item.id}/reauth-complete`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'reauth_incomplete', details: { action: 'fix' } });
    expect((await api.get(`/items/${item.id}`)).body.status).toBe('needs_reauth');
    expect(syncs.requests).toEqual([]);
  });

  it.each(['ACCESS_NOT_GRANTED', 'NO_ACCOUNTS'] as const)('answers 409 reauth_incomplete while Plaid still reports %s (a permission, an eligible account)', async (code) => {
    const { api, syncs } = setup();
    const { item, plaidItemId } = await linked(api);
    env.simulator.control.itemError(plaidItemId, code);
    syncs.requests.length = 0;
    const res = await api.post(`/items/${item.id}/reauth-complete`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'reauth_incomplete', details: { status: 'needs_reauth', action: 'fix' } });
    expect(res.body.error.message).toContain(code);
    expect((await api.get(`/items/${item.id}`)).body).toMatchObject({ status: 'needs_reauth', error_code: code, action: 'fix' });
    expect(syncs.requests).toEqual([]);

    // Update mode answered it (Link cleared the error at Plaid): active again, syncs requested.
    const token = await api.post('/plaid/link-token', { item_id: item.id });
    env.simulator.control.completeLink({ linkToken: token.body.link_token });
    const done = await api.post(`/items/${item.id}/reauth-complete`);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'active', error_code: null });
    expect(syncs.requests.length).toBeGreaterThan(0);
  });

  it('disconnects the item (409 item_disconnected) when Plaid no longer knows it', async () => {
    const { api } = setup();
    const { item, plaidItemId } = await brokenItem(api);
    env.simulator.control.revokeItem(plaidItemId);
    const res = await api.post(`/items/${item.id}/reauth-complete`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'item_disconnected', details: { action: 'relink' } });
    const after = (await api.get(`/items/${item.id}`)).body;
    expect(after).toMatchObject({ status: 'disconnected', error_code: 'ITEM_NOT_FOUND' });
    expect(after.accounts.every((a: { status: string }) => a.status === 'inactive')).toBe(true);
  });

  it('refuses a disconnected item without calling Plaid', async () => {
    const { api } = setup();
    const { item } = await linked(api);
    await api.delete(`/items/${item.id}`);
    const gets = env.simulator.control.calls('/item/get');
    const res = await api.post(`/items/${item.id}/reauth-complete`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('item_disconnected');
    expect(env.simulator.control.calls('/item/get')).toBe(gets);
  });

  it('adds accounts newly shared through account selection without duplicating the others', async () => {
    const { api } = setup();
    const { item } = await linked(api);
    const [dropped] = await env.database.db.delete(plaidAccounts).where(eq(plaidAccounts.id, item.accounts[0].id)).returning();
    const res = await api.post(`/items/${item.id}/reauth-complete`);
    expect(res.status).toBe(200);
    const ids = res.body.accounts.map((a: { plaid_account_id: string }) => a.plaid_account_id);
    expect(ids).toHaveLength(item.accounts.length);
    expect(ids).toContain(dropped!.plaidAccountId);
  });

  it('answers 404 for another user’s item', async () => {
    const { api, app } = setup();
    const { item } = await linked(api);
    expect((await apiClient(app).post(`/items/${item.id}/reauth-complete`)).status).toBe(404);
  });
});

describe('Plaid refusing the stored token', () => {
  it('answers 502 plaid_error with Plaid’s code, and leaves the item as it was', async () => {
    const { api, deps } = setup();
    const { item, plaidItemId } = await linked(api);
    const sealed = deps.vault.encrypt('access-sandbox-00000000-0000-4000-8000-000000000000', plaidItemId);
    await env.database.db.update(plaidItems).set({ accessTokenCiphertext: sealed.ciphertext, accessTokenKeyId: sealed.keyId }).where(eq(plaidItems.id, item.id));
    for (const res of [await api.post(`/items/${item.id}/reauth-complete`), await api.delete(`/items/${item.id}`)]) {
      expect(res.status).toBe(502);
      expect(res.body.error).toMatchObject({ code: 'plaid_error', details: { plaid_error_code: 'INVALID_ACCESS_TOKEN' } });
    }
    expect((await api.get(`/items/${item.id}`)).body.status).toBe('active');
  });
});
