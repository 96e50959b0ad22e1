import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * The Plaid products the service syncs: the one list every per-product table, constraint and map
 * derives from. A product added here needs its `REGISTRY` entry (src/plaid/products/) and a
 * migration: `npx drizzle-kit generate` writes it, because the CHECK constraints follow this list.
 */
export const PRODUCTS = ['transactions', 'investments', 'liabilities'] as const;
export type Product = (typeof PRODUCTS)[number];

export function isProduct(value: unknown): value is Product {
  return typeof value === 'string' && (PRODUCTS as readonly string[]).includes(value);
}

/** `column in ('a', 'b', …)` over a list of literals, as drizzle-kit snapshots a CHECK constraint's text. */
export function inList(column: PgColumn, values: readonly string[]): SQL {
  return sql`${column} in (${sql.raw(values.map((value) => `'${value}'`).join(', '))})`;
}

export const ITEM_STATUSES = ['active', 'needs_reauth', 'disconnected'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export const ACCOUNT_STATUSES = ['active', 'inactive', 'replaced'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/**
 * Why a product of an item waits instead of syncing on schedule (`sync_state.state`): it has no
 * accounts there, the user did not consent to it, or Plaid has not finished extracting it.
 * `PRODUCTS_NOT_SUPPORTED` lives in `plaid_items.unsupported_products` and is shown as `unsupported`.
 */
export const PRODUCT_WAIT_STATES = ['no_accounts', 'consent_required', 'not_ready'] as const;
export type ProductWaitState = (typeof PRODUCT_WAIT_STATES)[number];
