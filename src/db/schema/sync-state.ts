import { boolean, check, date, index, integer, jsonb, numeric, pgTable, primaryKey, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { plaidItems } from './items.js';
import { inList, PRODUCT_WAIT_STATES, PRODUCTS } from './products.js';

/**
 * Per (item, product) sync bookkeeping that must outlive a process: a follow-up requested while a run
 * was in progress (by any instance), how far a date-windowed product (investments) has synced, and
 * when its last successful run finished (the admin list sorts by it).
 */
export const syncState = pgTable(
  'sync_state',
  {
    itemId: uuid()
      .notNull()
      .references(() => plaidItems.id),
    product: text({ enum: PRODUCTS }).notNull(),
    followUpRequested: boolean().notNull().default(false),
    followUpTrigger: text(),
    /** Last day a windowed product fetched completely; the next window starts a little before it. */
    syncedThrough: date(),
    /** `finished_at` of the newest succeeded run, written by that run's commit (`finishRunSeeingFollowUp`). */
    lastSucceededAt: timestamp({ withTimezone: true }),
    /**
     * Set by a failed run whose error means "wait" (see `PRODUCT_WAIT_STATES`), cleared by the next
     * succeeded run. While set, scheduled runs skip the product; webhooks and explicit actions still run it.
     */
    state: text({ enum: PRODUCT_WAIT_STATES }),
    /** The Plaid error code that set `state`. */
    stateCode: text(),
    /** When `state` was first set; a `not_ready` older than a day is tried again on schedule (a lost webhook). */
    stateSince: timestamp({ withTimezone: true }),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: 'sync_state_pkey', columns: [table.itemId, table.product] }),
    check('sync_state_product_check', inList(table.product, PRODUCTS)),
    check('sync_state_state_check', inList(table.state, PRODUCT_WAIT_STATES)),
  ],
);

/**
 * `/transactions/sync` pages of a run in progress, written with COPY as they arrive and merged in the
 * run's one commit. No foreign keys and one index: COPY speed matters and rows only live for a run.
 * `seq` orders events as Plaid sent them (page by page; added, then modified, then removed).
 */
export const syncStagedTransactions = pgTable(
  'sync_staged_transactions',
  {
    runId: uuid().notNull(),
    seq: integer().notNull(),
    /** 0 added, 1 modified, 2 removed. */
    kind: smallint().notNull(),
    transactionId: text().notNull(),
    accountId: text().notNull(),
    amount: numeric(),
    isoCurrencyCode: text(),
    unofficialCurrencyCode: text(),
    date: date(),
    authorizedDate: date(),
    name: text(),
    merchantName: text(),
    pending: boolean(),
    pendingTransactionId: text(),
    categoryPrimary: text(),
    categoryDetailed: text(),
    paymentChannel: text(),
  },
  // (run_id, seq): a chunk's merge reads one seq range of its run, not every row the run staged.
  (table) => [index('sync_staged_transactions_run_seq_idx').on(table.runId, table.seq)],
);

/** Low-volume staged records of other products (investment transactions, securities), as Plaid sent them. */
export const syncStagedRecords = pgTable(
  'sync_staged_records',
  {
    runId: uuid().notNull(),
    seq: integer().notNull(),
    kind: text().notNull(),
    payload: jsonb().notNull(),
  },
  (table) => [index('sync_staged_records_run_idx').on(table.runId)],
);
