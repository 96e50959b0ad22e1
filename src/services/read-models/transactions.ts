import { and, desc, eq, inArray } from 'drizzle-orm';
import { plaidAccounts, plaidTransactions } from '../../db/schema/index.js';
import type { Executor } from '../item-status.js';
import type { TransactionRecord } from './schemas.js';

export type TransactionRow = typeof plaidTransactions.$inferSelect;

export function transactionRecord(row: TransactionRow): TransactionRecord {
  return {
    id: row.plaidTransactionId,
    account_id: row.accountId,
    date: row.date,
    authorized_date: row.authorizedDate,
    name: row.name,
    merchant_name: row.merchantName,
    // numeric as Postgres holds it, a decimal string; positive is money out (Plaid's convention).
    amount: row.amount,
    iso_currency_code: row.isoCurrencyCode,
    unofficial_currency_code: row.unofficialCurrencyCode,
    pending: row.pending,
    pending_transaction_id: row.pendingTransactionId,
    category_primary: row.categoryPrimary,
    category_detailed: row.categoryDetailed,
    payment_channel: row.paymentChannel,
  };
}

/**
 * The user's transactions among `ids` (Plaid transaction ids), in one query, newest first. An id
 * that is gone (removed at Plaid) or not the user's is left out.
 */
export async function loadTransactions(db: Executor, input: { userId: string; ids: readonly string[] }): Promise<TransactionRecord[]> {
  if (input.ids.length === 0) return [];
  const t = plaidTransactions;
  const rows = await db
    .select({ transaction: t })
    .from(t)
    .innerJoin(plaidAccounts, eq(plaidAccounts.id, t.accountId))
    .where(and(eq(plaidAccounts.userId, input.userId), inArray(t.plaidTransactionId, [...input.ids])))
    .orderBy(desc(t.date), desc(t.plaidTransactionId));
  return rows.map((row) => transactionRecord(row.transaction));
}
