import type { Sql } from '../db/client.js';
import { isProduct, type Product } from '../db/schema/products.js';

/**
 * The products an item is synced for: those of its live accounts, plus the product it was linked
 * for (its accounts may not be stored yet), less any Plaid said the item does not support.
 */
export async function itemSyncProducts(sql: Sql, itemId: string): Promise<Product[]> {
  const rows = await sql<{ product: string }[]>`
    select distinct p.product from (
      select a.product from plaid_accounts a where a.item_id = ${itemId} and a.status = 'active'
      union all
      select i.product from plaid_items i where i.id = ${itemId} and i.product is not null
    ) as p
    join plaid_items i on i.id = ${itemId}
    where not (p.product = any (i.unsupported_products))
    order by p.product`;
  return rows.map((row) => row.product).filter(isProduct);
}
