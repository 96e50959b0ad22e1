import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { plaidItems } from './items.js';
import { inList, PRODUCTS } from './products.js';

export const WEBHOOK_OUTCOMES = ['received', 'processed', 'ignored', 'orphan', 'duplicate', 'failed'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** Every verified webhook as received. Rejected (unverified) deliveries are never stored. */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: uuid().primaryKey().defaultRandom(),
    receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    webhookType: text().notNull(),
    webhookCode: text().notNull(),
    plaidItemId: text(),
    itemId: uuid().references(() => plaidItems.id),
    body: jsonb().notNull(),
    bodySha256: text().notNull(),
    /** SHA-256 of the `Plaid-Verification` token: the same signed delivery again has the same one. */
    verificationSha256: text(),
    status: text({ enum: WEBHOOK_OUTCOMES }).notNull().default('received'),
    error: text(),
    processedAt: timestamp({ withTimezone: true }),
  },
  (table) => [
    check(
      'webhook_events_status_check',
      sql`${table.status} in ('received', 'processed', 'ignored', 'orphan', 'duplicate', 'failed')`,
    ),
    index('webhook_events_dedupe_idx').on(
      table.plaidItemId,
      table.webhookType,
      table.webhookCode,
      table.bodySha256,
      table.receivedAt,
    ),
    index('webhook_events_received_at_idx').on(sql`${table.receivedAt} desc`),
    index('webhook_events_item_id_idx').on(table.itemId, sql`${table.receivedAt} desc`),
    // The recovery's look for orphans whose item has appeared since: few rows, read every 30 s.
    index('webhook_events_orphan_idx').on(table.receivedAt).where(sql`${table.status} = 'orphan'`),
  ],
);

/**
 * The inbox of webhook work not yet on the job queue: one row per recorded webhook that asks for a
 * job (`job` is the product to sync, or `item` for an item webhook), written by the statement that
 * records the webhook and deleted by the dispatcher in the transaction that makes the job. Every
 * row here is undispatched, so the table stays small and its key is the dispatch order. No foreign
 * key to `webhook_events`: it would cost a lookup per webhook on the intake's hot path, and a row
 * whose event is gone is harmless (its item job finds nothing to do).
 */
export const webhookDispatch = pgTable('webhook_dispatch', {
  seq: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  eventId: uuid().notNull(),
  itemId: uuid().notNull(),
  job: text().notNull(),
  receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export const SYNC_RUN_STATUSES = ['running', 'succeeded', 'failed', 'abandoned'] as const;
export type SyncRunStatus = (typeof SYNC_RUN_STATUSES)[number];

export const syncRuns = pgTable(
  'sync_runs',
  {
    id: uuid().primaryKey().defaultRandom(),
    itemId: uuid()
      .notNull()
      .references(() => plaidItems.id),
    product: text({ enum: PRODUCTS }).notNull(),
    trigger: text().notNull(),
    status: text({ enum: SYNC_RUN_STATUSES }).notNull().default('running'),
    startedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp({ withTimezone: true }),
    heartbeatAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    owner: text(),
    pages: integer().notNull().default(0),
    added: integer().notNull().default(0),
    modified: integer().notNull().default(0),
    removed: integer().notNull().default(0),
    /** Set while the run waits for Plaid's per-item rate limit window to pass (shown in the admin page). */
    rateLimitedUntil: timestamp({ withTimezone: true }),
    errorCode: text(),
    errorMessage: text(),
  },
  (table) => [
    check('sync_runs_status_check', sql`${table.status} in ('running', 'succeeded', 'failed', 'abandoned')`),
    check('sync_runs_product_check', inList(table.product, PRODUCTS)),
    // At most one running sync per (item, product), whichever process or trigger started it.
    uniqueIndex('sync_runs_one_running_key')
      .on(table.itemId, table.product)
      .where(sql`${table.status} = 'running'`),
    index('sync_runs_item_product_started_idx').on(table.itemId, table.product, sql`${table.startedAt} desc`),
    index('sync_runs_started_at_idx').on(sql`${table.startedAt} desc`),
  ],
);
