import { boolean, date, index, numeric, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { plaidAccounts } from './accounts.js';
import { plaidItems } from './items.js';

export const securities = pgTable('securities', {
  securityId: text().primaryKey(),
  name: text(),
  tickerSymbol: text(),
  type: text(),
  subtype: text(),
  closePrice: numeric(),
  closePriceAsOf: date(),
  isoCurrencyCode: text(),
  unofficialCurrencyCode: text(),
  cusip: text(),
  isin: text(),
  isCashEquivalent: boolean(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export const investmentHoldings = pgTable(
  'investment_holdings',
  {
    accountId: uuid()
      .notNull()
      .references(() => plaidAccounts.id),
    securityId: text()
      .notNull()
      .references(() => securities.securityId),
    itemId: uuid()
      .notNull()
      .references(() => plaidItems.id),
    quantity: numeric().notNull(),
    institutionPrice: numeric().notNull(),
    institutionPriceAsOf: date(),
    institutionValue: numeric().notNull(),
    costBasis: numeric(),
    isoCurrencyCode: text(),
    unofficialCurrencyCode: text(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'investment_holdings_pkey', columns: [table.accountId, table.securityId] }),
    index('investment_holdings_item_id_idx').on(table.itemId),
    // A security's new price reaches the change feed of every user holding it (migration 0012).
    index('investment_holdings_security_id_idx').on(table.securityId),
  ],
);

export const investmentTransactions = pgTable(
  'investment_transactions',
  {
    plaidInvestmentTransactionId: text().primaryKey(),
    accountId: uuid()
      .notNull()
      .references(() => plaidAccounts.id),
    itemId: uuid()
      .notNull()
      .references(() => plaidItems.id),
    securityId: text(),
    date: date().notNull(),
    name: text().notNull(),
    quantity: numeric().notNull(),
    /** Positive when cash leaves the account (a buy), negative when it comes in (a sale). */
    amount: numeric().notNull(),
    price: numeric().notNull(),
    fees: numeric(),
    type: text().notNull(),
    subtype: text(),
    isoCurrencyCode: text(),
    unofficialCurrencyCode: text(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('investment_transactions_account_date_idx').on(table.accountId, table.date),
    index('investment_transactions_item_id_idx').on(table.itemId),
  ],
);
