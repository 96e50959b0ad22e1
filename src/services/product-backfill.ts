import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
/**
 * The products migration 0001 knew, frozen: the backfill gives legacy accounts exactly what that
 * migration gives them, whatever products are added to `PRODUCTS` later (a legacy database cannot
 * hold an account of a product that did not exist yet).
 */
export const LEGACY_PRODUCTS = ['transactions', 'investments', 'liabilities'] as const;
type LegacyProduct = (typeof LEGACY_PRODUCTS)[number];

/** Accounts per product that a backfill would set (plan) or did set (apply). */
export interface ProductBackfillCounts {
  byProduct: Record<LegacyProduct, number>;
  total: number;
}

/** What legacy accounts get when their item's product is missing or unknown: the legacy app only linked transactions. */
const FALLBACK_PRODUCT: LegacyProduct = 'transactions';

/**
 * The rule of migration `0001_enforce_plaid_account_product`: the item's product when it is one of
 * ours, else 'transactions'. Written once here so the plan and the apply cannot disagree; a test
 * proves it gives the same result as the migration on the same legacy rows.
 */
function backfilledProduct(): SQL {
  const known = sql.join(
    LEGACY_PRODUCTS.map((product) => sql`${product}`),
    sql`, `,
  );
  return sql`case when i.product in (${known}) then i.product else ${FALLBACK_PRODUCT}::text end`;
}

function toCounts(rows: readonly { product: string; accounts: number }[]): ProductBackfillCounts {
  const byProduct = Object.fromEntries(LEGACY_PRODUCTS.map((product) => [product, 0])) as Record<LegacyProduct, number>;
  for (const row of rows) byProduct[row.product as LegacyProduct] = row.accounts;
  return { byProduct, total: rows.reduce((sum, row) => sum + row.accounts, 0) };
}

/**
 * Counts, per product, the accounts without a product that the backfill would set. Reads only, so
 * it is safe on a live database, at the legacy point (product nullable) or after the migration
 * (where the answer is always zero).
 */
export async function planProductBackfill(db: Database): Promise<ProductBackfillCounts> {
  const rows = await db.execute<{ product: string; accounts: number }>(sql`
    select ${backfilledProduct()} as product, count(*)::int as accounts
    from plaid_accounts a
    join plaid_items i on i.id = a.item_id
    where a.product is null
    group by 1`);
  return toCounts(rows);
}

/**
 * Sets the product of every account that has none, in one statement, and returns how many got
 * which product. Idempotent: accounts that already have a product are never touched, so a second
 * run (or the migration after it) changes nothing.
 */
export async function applyProductBackfill(db: Database): Promise<ProductBackfillCounts> {
  const rows = await db.execute<{ product: string; accounts: number }>(sql`
    with changed as (
      update plaid_accounts a
      set product = ${backfilledProduct()}, updated_at = now()
      from plaid_items i
      where i.id = a.item_id and a.product is null
      returning a.product
    )
    select product, count(*)::int as accounts from changed group by product`);
  return toCounts(rows);
}

/** Accounts with no product: zero once the migration's NOT NULL is in place. */
export async function countAccountsWithoutProduct(db: Database): Promise<number> {
  const [row] = await db.execute<{ accounts: number }>(sql`select count(*)::int as accounts from plaid_accounts where product is null`);
  return row?.accounts ?? 0;
}
