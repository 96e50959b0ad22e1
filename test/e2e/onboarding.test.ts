/* eslint-disable @typescript-eslint/no-unsafe-call -- API response bodies are untyped JSON */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { plaidAccounts, plaidItems, plaidTransactions } from '../../src/db/schema/index.js';
import { markItemNeedsReauth } from '../../src/services/item-status.js';
import { apiClient, linkThroughApi, type ApiResponse } from '../support/api-client.js';
import { buildTestApp, recordingScheduler } from '../support/app.js';
import { useDatabaseAndSimulator } from '../support/test-environment.js';

  // A re-linked account keeps its mask, as at a real bank, so smart adoption can recognise it.
const env = useDatabaseAndSimulator();

interface AccountBody {
  id: string;
  plaid_account_id: string;
  name: string;
  mask: string;
  status: string;
  replaced_by: string | null;
  settings: { nickname: string | null; notes: string | null; payment_status: string | null };
}

/** What a completed initial sync would have stored: the simulator's transactions for the item. */
async function storeSyncedHistory(itemId: string, plaidItemId: string) {
  const accounts = await env.database.db.select().from(plaidAccounts).where(eq(plaidAccounts.itemId, itemId));
  const byPlaidId = new Map(accounts.map((a) => [a.plaidAccountId, a.id]));
  const rows = [...env.simulator.control.truth(plaidItemId).transactions()]
    .filter((t) => byPlaidId.has(t.account_id))
    .map((t) => ({ plaidTransactionId: t.transaction_id, accountId: byPlaidId.get(t.account_id)!, itemId, amount: String(t.amount), date: t.date, name: t.name, pending: t.pending }));
  expect(rows.length).toBeGreaterThan(0);
  await env.database.db.insert(plaidTransactions).values(rows);
  return rows;
}

async function allTransactions(api: ReturnType<typeof apiClient>, accountId: string) {
  const seen: { id: string; amount: string }[] = [];
  let cursor: string | null = null;
  do {
    const res: ApiResponse = await api.get(`/accounts/${accountId}/transactions?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    seen.push(...res.body.transactions);
    cursor = res.body.next_cursor;
  } while (cursor !== null);
  return seen;
}

describe('onboarding, revocation and re-link with smart adoption', () => {
  it('link → settings → revoked at Plaid → disconnect → re-link: settings adopted, old accounts replaced, history readable', async () => {
    const syncs = recordingScheduler();
    const { app } = buildTestApp(env.database, { syncs });
    const api = apiClient(app);

    const first = await linkThroughApi(api, env.simulator.control, { institutionId: 'ins_109508' });
    expect(first.status).toBe(201);
    const oldItem = first.body.item;
    const oldAccounts = oldItem.accounts as AccountBody[];
    expect(oldAccounts.length).toBeGreaterThanOrEqual(3);
    const history = await storeSyncedHistory(oldItem.id, first.plaidItemId);

    const [checking, , card] = oldAccounts;
    expect((await api.patch(`/accounts/${checking!.id}/settings`, { nickname: 'Everyday', notes: 'Salary lands here' })).status).toBe(200);
    expect((await api.patch(`/accounts/${card!.id}/settings`, { payment_status: 'autopay' })).status).toBe(200);

    env.simulator.control.revokeItem(first.plaidItemId);
    const disconnected = await api.delete(`/items/${oldItem.id}`);
    expect(disconnected.status).toBe(200);
    expect(disconnected.body).toMatchObject({ status: 'disconnected', action: 'relink' });
    expect((disconnected.body.accounts as AccountBody[]).every((a) => a.status === 'inactive')).toBe(true);
    expect((await api.get('/items')).body.items).toEqual([expect.objectContaining({ id: oldItem.id, action: 'relink' })]);

    const relinked = await linkThroughApi(api, env.simulator.control, { institutionId: 'ins_109508' });
    expect(relinked.status).toBe(201);
    const newItem = relinked.body.item;
    expect(newItem.id).not.toBe(oldItem.id);
    expect(relinked.plaidItemId).not.toBe(first.plaidItemId);
    expect(relinked.body.adoptions).toHaveLength(oldAccounts.length);

    const newAccounts = newItem.accounts as AccountBody[];
    const successorOf = (old: AccountBody) => newAccounts.find((a) => a.name === old.name && a.mask === old.mask)!;
    expect(successorOf(checking!).settings).toEqual({ nickname: 'Everyday', notes: 'Salary lands here', payment_status: null });
    expect(successorOf(card!).settings).toEqual({ nickname: null, notes: null, payment_status: 'autopay' });

    const oldNow = (await api.get(`/items/${oldItem.id}`)).body.accounts as AccountBody[];
    for (const old of oldNow) expect(old).toMatchObject({ status: 'replaced', replaced_by: successorOf(old).id });

    // The old history is still there, page by page, exactly as stored.
    const readable = await allTransactions(api, checking!.id);
    const expected = history.filter((t) => t.accountId === checking!.id);
    expect(readable.map((t) => t.id).sort()).toEqual(expected.map((t) => t.plaidTransactionId).sort());
    expect(readable.every((t) => typeof t.amount === 'string')).toBe(true);

    const items = (await api.get('/items')).body.items;
    expect(items.map((i: { id: string; status: string }) => [i.id, i.status])).toEqual([
      [newItem.id, 'active'],
      [oldItem.id, 'disconnected'],
    ]);
    expect(syncs.requests).toEqual([
      { itemId: oldItem.id, product: 'transactions', trigger: 'initial' },
      { itemId: newItem.id, product: 'transactions', trigger: 'initial' },
    ]);
  });

  it('needs_reauth → the duplicate rule says fix → update mode → reauth-complete → active, same item', async () => {
    const syncs = recordingScheduler();
    const { app } = buildTestApp(env.database, { syncs });
    const api = apiClient(app);

    const linked = await linkThroughApi(api, env.simulator.control, { institutionId: 'ins_109509' });
    expect(linked.status).toBe(201);
    const item = linked.body.item;

    env.simulator.control.loginRequired(linked.plaidItemId);
    // What the webhook handler and the sync engine do on ITEM_LOGIN_REQUIRED.
    await markItemNeedsReauth(env.database.db, item.id, { code: 'ITEM_LOGIN_REQUIRED', message: 'the login details of this item have changed' });
    expect((await api.get('/items')).body.items).toEqual([expect.objectContaining({ id: item.id, status: 'needs_reauth', action: 'fix' })]);

    // Linking the institution again is refused, pointing at the item to fix instead.
    const duplicate = await linkThroughApi(api, env.simulator.control, { institutionId: 'ins_109509' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.details).toEqual({ existing_item_id: item.id, status: 'needs_reauth', action: 'fix' });

    const token = await api.post('/plaid/link-token', { item_id: item.id });
    expect(token.status).toBe(200);
    expect(env.simulator.control.completeLink({ linkToken: token.body.link_token })).toMatchObject({ updateMode: true, itemId: linked.plaidItemId });

    const fixed = await api.post(`/items/${item.id}/reauth-complete`);
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ id: item.id, plaid_item_id: linked.plaidItemId, status: 'active', action: 'none' });
    expect((fixed.body.accounts as AccountBody[]).map((a) => a.id).sort()).toEqual((item.accounts as AccountBody[]).map((a) => a.id).sort());

    const rows = await env.database.db.select().from(plaidItems).where(eq(plaidItems.userId, api.userId));
    expect(rows).toHaveLength(1);
    expect(syncs.requests.at(-1)).toEqual({ itemId: item.id, product: 'transactions', trigger: 'reauth' });
  });
});
