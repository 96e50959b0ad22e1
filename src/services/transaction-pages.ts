import { sql } from 'drizzle-orm';
import type { Product } from '../db/schema/products.js';
import type { Executor } from './item-status.js';
import { loadTransactions, type TransactionRecord } from './read-models/index.js';
import { decodeCursor, encodeCursor } from './transaction-cursor.js';

/** Filters shared by the per-account and the all-accounts transaction lists; dates are inclusive. */
export interface TransactionFilters {
  startDate?: string | undefined;
  endDate?: string | undefined;
  pending?: boolean | undefined;
}

export interface TransactionPageInput extends TransactionFilters {
  userId: string;
  /** Only these accounts (still only the user's); all of the user's accounts when absent. */
  accountIds?: readonly string[] | undefined;
  products?: readonly Product[] | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface TransactionPage {
  transactions: TransactionRecord[];
  next_cursor: string | null;
}

/**
 * One page of the user's transactions, newest first, by keyset on (date desc, id desc). Each
 * account contributes at most a page from its own (account, date desc, id desc) index (the lateral
 * subquery) before the pages are merged, so a page costs the same deep in the history as at its
 * start, whatever the number of accounts. Filters that do not match the index (pending) are applied
 * while walking it.
 */
export async function listTransactionPage(db: Executor, input: TransactionPageInput): Promise<TransactionPage> {
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  const take = input.limit + 1;
  const inner = [
    input.startDate === undefined ? sql`` : sql` and t.date >= ${input.startDate}::date`,
    input.endDate === undefined ? sql`` : sql` and t.date <= ${input.endDate}::date`,
    input.pending === undefined ? sql`` : sql` and t.pending = ${input.pending}`,
    after === undefined ? sql`` : sql` and (t.date, t.plaid_transaction_id) < (${after.date}::date, ${after.id})`,
  ];
  const outer = [
    input.accountIds === undefined ? sql`` : sql` and a.id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(input.accountIds)}::jsonb))`,
    input.products === undefined ? sql`` : sql` and a.product in (select jsonb_array_elements_text(${JSON.stringify(input.products)}::jsonb))`,
  ];
  const rows = await db.execute<{ id: string; date: string }>(sql`
    select t.plaid_transaction_id as id, t.date::text as date
    from plaid_accounts a
    cross join lateral (
      select t.plaid_transaction_id, t.date from plaid_transactions t
      where t.account_id = a.id${sql.join(inner)}
      order by t.date desc, t.plaid_transaction_id desc
      limit ${take}
    ) t
    where a.user_id = ${input.userId}${sql.join(outer)}
    order by t.date desc, t.plaid_transaction_id desc
    limit ${take}`);
  const keys = [...rows].slice(0, input.limit);
  const last = keys.at(-1);
  return {
    transactions: await loadTransactions(db, { userId: input.userId, ids: keys.map((k) => k.id) }),
    next_cursor: rows.length > input.limit && last ? encodeCursor(last) : null,
  };
}
