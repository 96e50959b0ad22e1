import type { Sql } from '../db/client.js';
import { isProduct, type Product } from '../db/schema/products.js';

/**
 * The products an item is synced for: those it is entitled to (docs/api.md, "Product entitlement"),
 * less any Plaid said the item does not support. Accounts scoped to other products never add one:
 * calling a product the item was not linked for makes Plaid add and bill it.
 */
export async function itemSyncProducts(sql: Sql, itemId: string): Promise<Product[]> {
  const rows = await sql<{ product: string }[]>`
    select distinct p.product
    from plaid_items i, unnest(i.entitled_products) as p(product)
    where i.id = ${itemId} and not (p.product = any (i.unsupported_products))
    order by p.product`;
  return rows.map((row) => row.product).filter(isProduct);
}
