import { sql } from 'drizzle-orm';
import { type AnyPgColumn, check, index, numeric, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { plaidItems } from './items.js';
import { ACCOUNT_STATUSES, inList, PRODUCTS } from './products.js';

export const plaidAccounts = pgTable(
  'plaid_accounts',
  {
    id: uuid().primaryKey().defaultRandom(),
    itemId: uuid()
      .notNull()
      .references(() => plaidItems.id),
    userId: uuid().notNull(),
    plaidAccountId: text().notNull().unique('plaid_accounts_plaid_account_id_key'),
    product: text({ enum: PRODUCTS }).notNull(),
    status: text({ enum: ACCOUNT_STATUSES }).notNull().default('active'),
    replacedBy: uuid().references((): AnyPgColumn => plaidAccounts.id),
    name: text().notNull(),
    officialName: text(),
    mask: text(),
    type: text().notNull(),
    subtype: text(),
    // Money is numeric, never a float.
    balanceAvailable: numeric(),
    balanceCurrent: numeric(),
    balanceLimit: numeric(),
    isoCurrencyCode: text(),
    unofficialCurrencyCode: text(),
    persistentAccountId: text(),
    balancesUpdatedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('accounts_product_check', inList(table.product, PRODUCTS)),
    check('plaid_accounts_status_check', sql`${table.status} in ('active', 'inactive', 'replaced')`),
    index('plaid_accounts_item_id_idx').on(table.itemId),
    index('plaid_accounts_user_id_idx').on(table.userId),
  ],
);

/** The user's own settings for an account; smart adoption carries them to a re-linked successor. */
export const accountExtended = pgTable('account_extended', {
  accountId: uuid()
    .primaryKey()
    .references(() => plaidAccounts.id),
  nickname: text(),
  notes: text(),
  paymentStatus: text(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
