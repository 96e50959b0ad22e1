import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plaidAccounts, plaidItems, plaidTransactions } from '../../../src/db/schema/index.js';
import { encodeFeedCursor, pruneChangeFeed } from '../../../src/services/change-feed.js';
import { apiClient, type ApiClient } from '../../support/api-client.js';
import { buildTestApp } from '../../support/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

function client(userId?: string): ApiClient {
  const { app } = buildTestApp(database);
  return apiClient(app, userId);
}

/** An item and one account, written as the sync writes them: the feed's triggers see every write. */
async function accountFor(userId: string) {
  const [item] = await database.db
    .insert(plaidItems)
    .values({ userId, plaidItemId: `item-${randomUUID()}`, institutionId: `ins_${randomUUID()}`, accessTokenCiphertext: 'x', accessTokenKeyId: 'k', product: 'transactions' })
    .returning();
  const [account] = await database.db
    .insert(plaidAccounts)
    .values({ itemId: item!.id, userId, plaidAccountId: `acc-${randomUUID()}`, product: 'transactions', name: 'Checking', type: 'depository', balanceCurrent: '10.00' })
    .returning();
  return { item: item!, account: account! };
}

async function addTransaction(itemId: string, accountId: string, id: string, fields: { amount?: string; pending?: boolean; pendingTransactionId?: string } = {}) {
  await database.db.insert(plaidTransactions).values({
    plaidTransactionId: id, accountId, itemId, date: '2026-01-02', amount: fields.amount ?? '12.34', name: `tx ${id}`,
    pending: fields.pending ?? false, pendingTransactionId: fields.pendingTransactionId ?? null,
  });
}

/**
 * Reads every page from `cursor` on until at least `expected` changes came. A change becomes
 * visible once every older transaction of the server has ended (other test files' included), so
 * a read right after a commit may not show it yet.
 */
async function readAll(api: ApiClient, cursor?: string, expected = 0, limit = 2) {
  const changes: { kind: string; ids: Record<string, string>; record: Record<string, unknown> | null }[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    const res = await api.get(`/changes?${query.toString()}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    changes.push(...res.body.changes);
    cursor = res.body.next_cursor;
    if (res.body.has_more) continue;
    if (changes.length >= expected || Date.now() > deadline) return { changes, cursor: cursor! };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('GET /api/changes', () => {
  it('returns the user’s changes in order, with ids and the record as stored now, page by page', async () => {
    const api = client();
    const { item, account } = await accountFor(api.userId);
    await addTransaction(item.id, account.id, `${account.id}-pending`, { pending: true });
    // Pending to posted: the pending id is removed and the posted one added, in one transaction.
    await database.db.transaction(async (tx) => {
      await tx.delete(plaidTransactions).where(eq(plaidTransactions.plaidTransactionId, `${account.id}-pending`));
      await tx.insert(plaidTransactions).values({
        plaidTransactionId: `${account.id}-posted`, accountId: account.id, itemId: item.id, date: '2026-01-03', amount: '12.34', name: 'posted',
        pendingTransactionId: `${account.id}-pending`,
      });
    });
    const { changes } = await readAll(api, undefined, 4);
    expect(changes.map((c) => c.kind)).toEqual(['account.added', 'transaction.added', 'transaction.removed', 'transaction.added']);
    expect(changes[0]!.ids).toEqual({ item_id: item.id, account_id: account.id });
    expect(changes[0]!.record).toMatchObject({ id: account.id, name: 'Checking', balances: { current: '10.00' } });
    // The pending row is gone now: its add and its removal both say so.
    expect(changes[1]!.record).toBeNull();
    expect(changes[2]).toEqual({ kind: 'transaction.removed', ids: { item_id: item.id, account_id: account.id, transaction_id: `${account.id}-pending` }, record: null });
    expect(changes[3]!.record).toMatchObject({ id: `${account.id}-posted`, amount: '12.34', pending_transaction_id: `${account.id}-pending` });
  });

  it('writes a change only when stored data changed: a repeated upsert adds nothing', async () => {
    const api = client();
    const { item, account } = await accountFor(api.userId);
    await addTransaction(item.id, account.id, `${account.id}-a`, { amount: '5.00' });
    const first = await readAll(api, undefined, 2);
    // The same values again, as a sync with no change at Plaid writes them (updated_at moves).
    await database.db.execute(sql`update plaid_transactions set amount = '5.00', name = name, updated_at = now() where plaid_transaction_id = ${`${account.id}-a`}`);
    await database.db.execute(sql`update plaid_accounts set name = name, balance_current = '10.00', balances_updated_at = now(), updated_at = now() where id = ${account.id}`);
    expect((await readAll(api, first.cursor)).changes).toEqual([]);
    await database.db.execute(sql`update plaid_transactions set amount = '5.01' where plaid_transaction_id = ${`${account.id}-a`}`);
    await database.db.execute(sql`update plaid_accounts set status = 'inactive' where id = ${account.id}`);
    const next = await readAll(api, first.cursor, 2);
    expect(next.changes.map((c) => c.kind)).toEqual(['transaction.modified', 'account.status_changed']);
    expect(next.changes[0]!.record).toMatchObject({ amount: '5.01' });
  });

  it('a cursor from /changes/position skips what a snapshot read after it already holds, and nothing else', async () => {
    const api = client();
    const { item, account } = await accountFor(api.userId);
    await addTransaction(item.id, account.id, `${account.id}-before`);
    const position = await api.get('/changes/position');
    expect(position.status).toBe(200);
    await addTransaction(item.id, account.id, `${account.id}-after`);
    const { changes } = await readAll(api, position.body.cursor, 1);
    expect(changes.map((c) => c.ids.transaction_id)).toEqual([`${account.id}-after`]);
  });

  it('never shows another user’s changes, whatever the cursor', async () => {
    const owner = client();
    const other = client();
    const { item, account } = await accountFor(owner.userId);
    await addTransaction(item.id, account.id, `${account.id}-mine`);
    const mine = await readAll(owner, undefined, 2);
    expect(mine.changes.length).toBeGreaterThan(0);
    expect((await readAll(other)).changes).toEqual([]);
    expect((await readAll(other, encodeFeedCursor({ xid: '0', seq: 0 }))).changes).toEqual([]);
    // Even a record id from the owner's feed is not loaded for another user.
    expect(JSON.stringify((await readAll(other)).changes)).not.toContain(account.id);
  });

  it('refuses a malformed cursor or limit with 422 in the one error shape', async () => {
    const api = client();
    for (const query of ['cursor=nope', `cursor=${Buffer.from('[1,"x",1]').toString('base64url')}`, `cursor=${Buffer.from('[2,"1",1]').toString('base64url')}`, 'limit=0', 'limit=1001', 'limit=abc']) {
      const res = await api.get(`/changes?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', requestId: expect.any(String) });
    }
  });

  it('answers 410 cursor_expired for a cursor older than what retention kept, and serves cursors past it', async () => {
    const api = client();
    const { item, account } = await accountFor(api.userId);
    const start = await readAll(api, undefined, 1);
    await addTransaction(item.id, account.id, `${account.id}-old`);
    const afterOld = await readAll(api, start.cursor, 1);
    await addTransaction(item.id, account.id, `${account.id}-new`);
    await database.db.execute(sql`update change_feed set created_at = now() - interval '31 days' where user_id = ${api.userId} and entity_id in (${account.id}, ${`${account.id}-old`})`);
    expect(await pruneChangeFeed(database.db, 30)).toBe(2);
    for (const cursor of [undefined, start.cursor]) {
      const res = await api.get(`/changes${cursor ? `?cursor=${cursor}` : ''}`);
      expect(res.status).toBe(410);
      expect(res.body.error).toMatchObject({ code: 'cursor_expired', requestId: expect.any(String) });
    }
    expect((await readAll(api, afterOld.cursor, 1)).changes.map((c) => c.ids.transaction_id)).toEqual([`${account.id}-new`]);
    // Another user's cursor is not expired by this user's pruning.
    expect((await client().get('/changes')).status).toBe(200);
  });

  it('orders positions by transaction id as a number, not as text (9 before 10)', async () => {
    const api = client();
    const { item } = await accountFor(api.userId);
    // Rows as two old transactions would have left them; their ids differ in digit count.
    await database.db.execute(sql`
      insert into change_feed (xid, user_id, item_id, kind, entity_id)
      values ('10'::xid8, ${api.userId}, ${item.id}, 'transaction.removed', 'ten'), ('9'::xid8, ${api.userId}, ${item.id}, 'transaction.removed', 'nine')`);
    // Pages of one: the cursor after "nine" must still lead to "ten".
    const { changes } = await readAll(api, undefined, 3, 1);
    expect(changes.map((c) => c.ids.transaction_id ?? c.kind)).toEqual(['nine', 'ten', 'account.added']);
  });

  it('requires the app token', async () => {
    const { app } = buildTestApp(database);
    for (const path of ['/api/changes', '/api/changes/position']) {
      const res = await app.request(path, { headers: { 'x-user-id': randomUUID() } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });
});
