import { check, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { plaidAccounts } from './accounts.js';
import { plaidItems } from './items.js';

/** One row per liability account; Plaid's detail object is kept whole (its numbers are Plaid's). */
export const liabilities = pgTable(
  'liabilities',
  {
    accountId: uuid()
      .primaryKey()
      .references(() => plaidAccounts.id),
    itemId: uuid()
      .notNull()
      .references(() => plaidItems.id),
    kind: text({ enum: ['credit', 'mortgage', 'student'] }).notNull(),
    detail: jsonb().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('liabilities_kind_check', sql`${table.kind} in ('credit', 'mortgage', 'student')`),
    index('liabilities_item_id_idx').on(table.itemId),
  ],
);
