import { sql } from 'drizzle-orm';
import { boolean, date, index, numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { plaidAccounts } from './accounts.js';

export const plaidTransactions = pgTable(
  'plaid_transactions',
  {
    plaidTransactionId: text().primaryKey(),
    accountId: uuid()
      .notNull()
      .references(() => plaidAccounts.id),
    // No foreign key of its own: the account's key already pins the item, and a second per-row check
    // halves the throughput of the sync's bulk merge (docs/performance.md).
    itemId: uuid().notNull(),
    /** Plaid's sign convention: positive is money out of the account. */
    amount: numeric().notNull(),
    isoCurrencyCode: text(),
    unofficialCurrencyCode: text(),
    date: date().notNull(),
    authorizedDate: date(),
    name: text().notNull(),
    merchantName: text(),
    pending: boolean().notNull().default(false),
    pendingTransactionId: text(),
    categoryPrimary: text(),
    categoryDetailed: text(),
    paymentChannel: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    // Newest-first paging per account: (date desc, id desc) is the keyset.
    index('plaid_transactions_account_date_idx').on(table.accountId, sql`${table.date} desc`, sql`${table.plaidTransactionId} desc`),
    index('plaid_transactions_item_id_idx').on(table.itemId),
  ],
);
