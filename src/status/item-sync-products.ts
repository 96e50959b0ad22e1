import { sql } from 'drizzle-orm';
import { isProduct, type Product } from '../db/schema/products.js';
import type { Executor } from '../services/item-status.js';
import { STILL_WAITING } from '../sync/run-lock.js';

/**
 * The products an item is synced for: those it is entitled to (docs/api.md, "Product entitlement"),
 * less any Plaid said the item does not support. Accounts scoped to other products never add one:
 * calling a product the item was not linked for makes Plaid add and bill it. With `skipWaiting` (an
 * unattended trigger), also less those in a wait state, which the run lock would only refuse.
 */
export async function itemSyncProducts(db: Executor, itemId: string, options: { skipWaiting: boolean }): Promise<Product[]> {
  const rows = await db.execute<{ product: string }>(sql`
    select distinct p.product
    from plaid_items i, unnest(i.entitled_products) as p(product)
    where i.id = ${itemId} and not (p.product = any (i.unsupported_products))
      and not (${options.skipWaiting} and exists (
        select 1 from sync_state s where s.item_id = i.id and s.product = p.product and ${STILL_WAITING}))
    order by p.product`);
  return rows.map((row) => row.product).filter(isProduct);
}
