import { sql } from 'drizzle-orm';
import type { Transaction } from 'plaid';
import { describe, expect, it } from 'vitest';
import { writeSinglePage } from '../../src/plaid/products/transactions-page-write.js';
import {
  expectTransactionsMatchTruth, itemRow, runRows, seedItem, stagedRowCount, storedTransactions, type SeededItem,
} from '../support/sync-harness.js';
import { useSyncFixture } from '../support/sync-fixture.js';

let onPage: ((page: number) => void | Promise<void>) | null = null;
const fx = useSyncFixture({ hooks: { afterPage: ({ page }) => onPage?.(page) } });

const seed = (transactionCount: number) => seedItem(fx.database.db, fx.sim.control, fx.harness.vault, fx.harness.plaid, { transactionCount });
const run = (item: SeededItem) => fx.harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'webhook' });

function transaction(id: string, accountId: string, amount: number): Transaction {
  return {
    transaction_id: id, account_id: accountId, amount, iso_currency_code: 'USD', unofficial_currency_code: null, date: '2024-03-01',
    authorized_date: null, name: `payee ${id}`, merchant_name: null, pending: false, pending_transaction_id: null, payment_channel: 'online',
  } as unknown as Transaction;
}

describe('an update that fits in one page', () => {
  it('is written without staging, accounts Plaid shows for the first time included', async () => {
    const item = await seed(120);
    // As the fan-out benchmark's items: linked, but no account stored yet.
    await fx.database.db.execute(sql`delete from plaid_accounts where item_id = ${item.itemId}`);
    let stagedDuringRun = -1;
    onPage = async () => {
      stagedDuringRun = await stagedRowCount(fx.database.db);
    };
    try {
      expect(await run(item)).toMatchObject({ status: 'succeeded', counts: { pages: 1, added: 120 } });
    } finally {
      onPage = null;
    }
    expect(stagedDuringRun).toBe(0);
    expect(await stagedRowCount(fx.database.db)).toBe(0);
    await expectTransactionsMatchTruth(fx.database.db, fx.sim.control, item);
    const accounts = await fx.database.db.execute<{ n: number }>(sql`select count(*)::int as n from plaid_accounts where item_id = ${item.itemId}`);
    // The page lists the accounts its transactions are in (an item's full set also has investment and loan accounts without any).
    expect(accounts[0]!.n).toBe(new Set([...fx.sim.control.truth(item.plaidItemId).transactions()].map((t) => t.account_id)).size);
  });

  it('writes nothing, accounts included, when the cursor moved while the page was fetched', async () => {
    const item = await seed(30);
    await fx.database.db.execute(sql`delete from plaid_accounts where item_id = ${item.itemId}`);
    onPage = async () => {
      await fx.database.db.execute(sql`update plaid_items set transactions_cursor = 'moved-by-another-writer' where id = ${item.itemId}`);
    };
    try {
      expect(await run(item)).toMatchObject({ status: 'failed', error: { code: 'CURSOR_MOVED' } });
    } finally {
      onPage = null;
    }
    expect(await storedTransactions(fx.database.db, item.itemId)).toHaveLength(0);
    const accounts = await fx.database.db.execute<{ n: number }>(sql`select count(*)::int as n from plaid_accounts where item_id = ${item.itemId}`);
    expect(accounts[0]!.n).toBe(0);
    expect((await itemRow(fx.database.db, item.itemId)).transactions_cursor).toBe('moved-by-another-writer');
    expect((await runRows(fx.database.db, item.itemId)).map((r) => r.status)).toEqual(['failed']);
  });

  it('keeps the latest event per transaction within the page, and leaves rows of other items alone', async () => {
    const item = await seed(0);
    const other = await seed(0);
    const [account] = item.accounts;
    const accounts = fx.sim.control.accountsTruth(item.plaidItemId);
    await fx.database.db.execute(sql`
      insert into plaid_transactions (plaid_transaction_id, account_id, item_id, amount, date, name)
      values ('owned-elsewhere', ${other.accounts[0]!.id}, ${other.itemId}, '1.00', '2024-01-01', 'theirs')`);
    const page = {
      accounts,
      added: [transaction('kept', account!.plaidAccountId, 12.34), transaction('gone', account!.plaidAccountId, 1), transaction('owned-elsewhere', account!.plaidAccountId, 9)],
      modified: [transaction('kept', account!.plaidAccountId, 0.1)],
      removed: [{ transaction_id: 'gone', account_id: account!.plaidAccountId }],
    };
    const write = { itemId: item.itemId, userId: item.userId, start: null, cursor: 'next', fromScratch: false };
    expect(await fx.database.db.transaction((tx) => writeSinglePage(tx, page, write))).toBe(true);
    const stored = await storedTransactions(fx.database.db, item.itemId);
    expect(stored.map((t) => [t.id, t.amount])).toEqual([['kept', '0.1']]);
    const theirs = await fx.database.db.execute<{ item_id: string; name: string }>(sql`
      select item_id, name from plaid_transactions where plaid_transaction_id = 'owned-elsewhere'`);
    expect(theirs[0]).toEqual({ item_id: other.itemId, name: 'theirs' });
    expect((await itemRow(fx.database.db, item.itemId)).transactions_cursor).toBe('next');
    // The same write against a cursor that has moved on does nothing.
    expect(await fx.database.db.transaction((tx) => writeSinglePage(tx, { ...page, modified: [] }, write))).toBe(false);
    expect((await storedTransactions(fx.database.db, item.itemId)).map((t) => [t.id, t.amount])).toEqual([['kept', '0.1']]);
  });
});
