import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiClient } from '../../support/api-client.js';
import { buildTestApp } from '../../support/app.js';
import { useSyncFixture } from '../../support/sync-fixture.js';
import { expectTransactionsMatchTruth, runRows, seedItem } from '../../support/sync-harness.js';

const fx = useSyncFixture();

function setup(userId?: string) {
  const { app } = buildTestApp(fx.database, { syncs: fx.syncs, vault: fx.harness.vault });
  return { app, api: apiClient(app, userId) };
}

async function linkedAccount(transactionCount = 25) {
  const item = await seedItem(fx.database.db, fx.sim.control, fx.harness.vault, fx.harness.plaid, { transactionCount });
  return { item, account: item.accounts.find((a) => a.product === 'transactions')! };
}

const path = (product: string) => `/products/${product}/transactions/sync`;

describe('POST /api/products/{product}/transactions/sync', () => {
  it('answers 200 with exactly { updated, errors } and stores the transactions', async () => {
    const { item, account } = await linkedAccount();
    const { api } = setup(item.userId);
    const response = await api.post(path('transactions'), { account_id: account.id });
    expect(response.status).toBe(200);
    expect(response.body).toStrictEqual({ updated: true, errors: [] });
    await expectTransactionsMatchTruth(fx.database.db, fx.sim.control, item);
    const again = await api.post(path('transactions'), { account_id: account.id });
    expect(again.body).toStrictEqual({ updated: false, errors: [] });
  });

  it('answers a provider failure with 200, updated false and the error', async () => {
    const { item, account } = await linkedAccount();
    fx.sim.control.revokeItem(item.plaidItemId);
    const { api } = setup(item.userId);
    const response = await api.post(path('transactions'), { account_id: account.id });
    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['errors', 'updated']);
    expect(response.body.updated).toBe(false);
    expect(response.body.errors[0]).toMatch(/^ITEM_NOT_FOUND: /);
    const next = await api.post(path('transactions'), { account_id: account.id });
    expect(next.body.errors[0]).toMatch(/^ITEM_DISCONNECTED: /);
  });

  it('joins ten simultaneous requests into one Plaid pagination pass', async () => {
    const { item, account } = await linkedAccount(1_100);
    const { api } = setup(item.userId);
    fx.sim.control.resetCalls();
    const responses = await Promise.all(Array.from({ length: 10 }, () => api.post(path('transactions'), { account_id: account.id })));
    expect(responses.every((r) => r.status === 200 && r.body.updated === true)).toBe(true);
    expect(fx.sim.control.calls('/transactions/sync')).toBe(3);
    expect(await runRows(fx.database.db, item.itemId)).toHaveLength(1);
  });

  it.each([
    ['an unknown product', 'crypto', () => ({ account_id: randomUUID() })],
    ['a missing account_id', 'transactions', () => ({})],
    ['an account_id that is not a UUID', 'transactions', () => ({ account_id: 'abc' })],
  ])('answers 422 for %s', async (_case, product, body) => {
    const { api } = setup();
    const response = await api.post(path(product), body());
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('validation_failed');
  });

  it('answers 422 when the account belongs to another product (product affinity)', async () => {
    const { item, account } = await linkedAccount();
    const { api } = setup(item.userId);
    const response = await api.post(path('investments'), { account_id: account.id });
    expect(response.status).toBe(422);
    expect(response.body.error.message).toContain('transactions');
  });

  it('answers 404 for an unknown account and for another user’s account', async () => {
    const { account } = await linkedAccount();
    const { api } = setup();
    expect((await api.post(path('transactions'), { account_id: randomUUID() })).status).toBe(404);
    const stranger = await api.post(path('transactions'), { account_id: account.id });
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe('not_found');
  });

  it('needs the app token', async () => {
    const { app } = setup();
    const response = await app.request(`/api${path('transactions')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': randomUUID() },
      body: JSON.stringify({ account_id: randomUUID() }),
    });
    expect(response.status).toBe(401);
  });
});
