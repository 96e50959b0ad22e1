/* eslint-disable @typescript-eslint/no-unsafe-call -- API response bodies are untyped JSON */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plaidAccounts, plaidItems, plaidTransactions } from '../../../src/db/schema/index.js';
import { encodeCursor } from '../../../src/services/transaction-cursor.js';
import { apiClient, type ApiClient, type ApiResponse } from '../../support/api-client.js';
import { buildTestApp } from '../../support/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** An item with one account, written directly: these routes only read what the sync stored. */
async function accountFor(userId: string, status: 'active' | 'inactive' | 'replaced' = 'active') {
  const [item] = await database.db
    .insert(plaidItems)
    .values({ userId, plaidItemId: `item-${randomUUID()}`, institutionId: `ins_${randomUUID()}`, accessTokenCiphertext: 'x', accessTokenKeyId: 'k', product: 'transactions' })
    .returning();
  const [account] = await database.db
    .insert(plaidAccounts)
    .values({ itemId: item!.id, userId, plaidAccountId: `acc-${randomUUID()}`, product: 'transactions', name: 'Checking', type: 'depository', mask: '0000', status })
    .returning();
  return { item: item!, account: account! };
}

function setup() {
  const { app } = buildTestApp(database);
  return { app, api: apiClient(app) };
}

describe('GET /api/accounts/{id}/transactions', () => {
  async function withHistory(api: ApiClient) {
    const { item, account } = await accountFor(api.userId);
    // Two rows share each date so that the id breaks ties; amounts are exact decimals.
    const rows = [
      ['t1', '2026-01-01', '0.10'],
      ['t2', '2026-01-01', '123456789.99'],
      ['t3', '2026-01-02', '-5.50'],
      ['t4', '2026-01-02', '7'],
      ['t5', '2026-01-03', '0.01'],
    ].map(([id, date, amount]) => ({ plaidTransactionId: `${account.id}-${id}`, accountId: account.id, itemId: item.id, date: date!, amount: amount!, name: `tx ${id}` }));
    await database.db.insert(plaidTransactions).values(rows);
    return account;
  }

  it('pages newest first by (date, id) with an opaque cursor and exact decimal strings', async () => {
    const { api } = setup();
    const account = await withHistory(api);
    const seen: { id: string; amount: string; date: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: ApiResponse = await api.get(`/accounts/${account.id}/transactions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.transactions.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.transactions);
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen.map((t) => t.id.slice(-2))).toEqual(['t5', 't4', 't3', 't2', 't1']);
    expect(seen.map((t) => t.amount)).toEqual(['0.01', '7', '-5.50', '123456789.99', '0.10']);
    expect(seen.every((t) => typeof t.amount === 'string')).toBe(true);
  });

  it('answers a default page and no cursor when everything fits', async () => {
    const { api } = setup();
    const account = await withHistory(api);
    const res = await api.get(`/accounts/${account.id}/transactions`);
    expect(res.body.transactions).toHaveLength(5);
    expect(res.body.next_cursor).toBeNull();
    expect(res.body.transactions[0]).toMatchObject({ account_id: account.id, date: '2026-01-03', pending: false, name: 'tx t5' });
  });

  it('validates limit and cursor (422)', async () => {
    const { api } = setup();
    const account = await withHistory(api);
    for (const query of ['limit=0', 'limit=501', 'limit=abc', 'limit=2.5', 'cursor=!!!', `cursor=${Buffer.from('[1,2]').toString('base64url')}`]) {
      const res = await api.get(`/accounts/${account.id}/transactions?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
    }
    const valid = encodeCursor({ date: '2026-01-02', id: `${account.id}-t3` });
    const after = await api.get(`/accounts/${account.id}/transactions?cursor=${valid}`);
    expect(after.body.transactions.map((t: { id: string }) => t.id.slice(-2))).toEqual(['t2', 't1']);
  });

  it('answers 404 for another user’s account or a missing one', async () => {
    const { api, app } = setup();
    const account = await withHistory(api);
    expect((await apiClient(app).get(`/accounts/${account.id}/transactions`)).status).toBe(404);
    expect((await api.get(`/accounts/${randomUUID()}/transactions`)).status).toBe(404);
  });
});

describe('PATCH /api/accounts/{id}/settings', () => {
  it('sets, partly updates and clears the user’s settings', async () => {
    const { api } = setup();
    const { account } = await accountFor(api.userId);
    const first = await api.patch(`/accounts/${account.id}/settings`, { nickname: '  Bills  ', notes: 'Rent on the 1st', payment_status: 'autopay' });
    expect(first).toEqual({ status: 200, body: { nickname: 'Bills', notes: 'Rent on the 1st', payment_status: 'autopay' } });
    const partial = await api.patch(`/accounts/${account.id}/settings`, { notes: null });
    expect(partial.body).toEqual({ nickname: 'Bills', notes: null, payment_status: 'autopay' });
  });

  it('works on an inactive account (its settings wait for smart adoption)', async () => {
    const { api } = setup();
    const { account } = await accountFor(api.userId, 'inactive');
    expect((await api.patch(`/accounts/${account.id}/settings`, { nickname: 'Old' })).status).toBe(200);
  });

  it('refuses a replaced account with 409 naming its successor', async () => {
    const { api } = setup();
    const { account: successor } = await accountFor(api.userId);
    const { account } = await accountFor(api.userId, 'replaced');
    await database.db.update(plaidAccounts).set({ replacedBy: successor.id }).where(eq(plaidAccounts.id, account.id));
    const res = await api.patch(`/accounts/${account.id}/settings`, { nickname: 'x' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'account_replaced', details: { replaced_by: successor.id } });
  });

  it('validates the body (422)', async () => {
    const { api } = setup();
    const { account } = await accountFor(api.userId);
    const bad = [{}, { nickname: '' }, { nickname: 'x'.repeat(101) }, { notes: 'x'.repeat(2001) }, { payment_status: 'Not A Token' }, { colour: 'red' }, { nickname: 5 }];
    for (const body of bad) {
      const res = await api.patch(`/accounts/${account.id}/settings`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
  });

  it('answers 404 for another user’s account and changes nothing', async () => {
    const { api, app } = setup();
    const { account } = await accountFor(api.userId);
    expect((await apiClient(app).patch(`/accounts/${account.id}/settings`, { nickname: 'mine now' })).status).toBe(404);
    expect((await api.get(`/accounts/${account.id}/transactions`)).status).toBe(200);
  });
});
