import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ITEM_STATUSES, PRODUCTS } from './products.js';

export const plaidItems = pgTable(
  'plaid_items',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid().notNull(),
    plaidItemId: text().notNull().unique('plaid_items_plaid_item_id_key'),
    institutionId: text(),
    institutionName: text(),
    /** AES-256-GCM ciphertext of the access token; never the plaintext. */
    accessTokenCiphertext: text().notNull(),
    accessTokenKeyId: text().notNull(),
    /** The product the item was linked for (nullable, as in the legacy schema). */
    product: text({ enum: PRODUCTS }),
    products: text().array().notNull().default(sql`'{}'::text[]`),
    /**
     * The products the service may call for this item (docs/api.md, "Product entitlement"): those it
     * was linked for and those Plaid confirms in `/item/get` (initialized, billed or consented), plus
     * any enabled later on purpose. Calling another product makes Plaid add and bill it, or refuse it
     * for missing consent.
     */
    entitledProducts: text().array().notNull().default(sql`'{}'::text[]`),
    unsupportedProducts: text().array().notNull().default(sql`'{}'::text[]`),
    status: text({ enum: ITEM_STATUSES }).notNull().default('active'),
    errorCode: text(),
    errorMessage: text(),
    consentExpiresAt: timestamp({ withTimezone: true }),
    pendingDisconnectAt: timestamp({ withTimezone: true }),
    newAccountsAvailable: boolean().notNull().default(false),
    transactionsCursor: text(),
    /**
     * The stored cursor is a checkpoint inside a first pull (a `next_cursor` with `has_more`), not the
     * end of one: the next run continues from it, and a mutation restarts the pull from no cursor.
     */
    transactionsCursorPartial: boolean().notNull().default(false),
    lastStatusCheckAt: timestamp({ withTimezone: true }),
    /**
     * When the item's broken login (`needs_reauth`) was last repaired, by whatever showed Plaid had it
     * working again: update mode completed, `LOGIN_REPAIRED`, a clean sync, a healthy status check. An
     * `ITEM_LOGIN_REQUIRED` webhook that may predate it (Plaid retries a delivery for up to 24 hours)
     * is checked with `/item/get` first.
     */
    loginConfirmedAt: timestamp({ withTimezone: true }),
    /**
     * When the user last finished Link in update mode for the item (`reauth-complete`): the warnings
     * update mode answers (new accounts, a pending disconnect, consent ending) from webhooks received
     * before it are not applied again.
     */
    updatedInLinkAt: timestamp({ withTimezone: true }),
    /**
     * The oldest of the item's per-product last successful syncs (`sync_state.last_succeeded_at`),
     * null while one of its products never succeeded. Kept by triggers (migration 0009) whenever a
     * run succeeds or the item's products change; the admin list sorts by it.
     */
    stalestSuccessAt: timestamp({ withTimezone: true }),
    disconnectedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('plaid_items_status_check', sql`${table.status} in ('active', 'needs_reauth', 'disconnected')`),
    // The duplicate-institution rule: two concurrent links for one user and institution cannot both win.
    uniqueIndex('plaid_items_user_institution_live_key')
      .on(table.userId, table.institutionId)
      .where(sql`${table.status} <> 'disconnected'`),
    index('plaid_items_user_id_idx').on(table.userId),
    index('plaid_items_status_idx').on(table.status),
  ],
);
