import type { AdminDeps } from './admin-deps.js';
import { isProduct, type Product } from '../db/schema/index.js';
import { NotFoundError } from '../http/errors.js';
import type { ItemDetail } from '../../views/item-detail-page.js';
import { itemAccounts, recentItemWebhooks, recentSyncRuns } from './item-detail-query.js';
import { findItemSummary, type ItemSummary } from './item-list-query.js';

export async function loadItemSummary(deps: Pick<AdminDeps, 'sql'>, itemId: string): Promise<ItemSummary> {
  const item = await findItemSummary(deps.sql, itemId);
  if (!item) throw new NotFoundError('item');
  return item;
}

export async function loadItemDetail(deps: Pick<AdminDeps, 'sql' | 'db'>, itemId: string): Promise<ItemDetail> {
  const item = await loadItemSummary(deps, itemId);
  const [accounts, runs, webhooks] = await Promise.all([
    itemAccounts(deps.db, itemId),
    recentSyncRuns(deps.db, itemId),
    recentItemWebhooks(deps.db, itemId),
  ]);
  return { item, accounts, runs, webhooks };
}

/** The products the service syncs for an item: those Plaid reports, else those its accounts are scoped to. */
export function syncableProducts(item: Pick<ItemSummary, 'products'>, accountProducts: readonly string[]): Product[] {
  const reported = item.products.filter(isProduct);
  return [...new Set(reported.length > 0 ? reported : accountProducts.filter(isProduct))];
}
