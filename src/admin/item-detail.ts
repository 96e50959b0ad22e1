import type { AdminDeps } from './admin-deps.js';
import { isProduct, type Product } from '../db/schema/index.js';
import { NotFoundError } from '../http/errors.js';
import type { ItemDetail } from '../../views/item-detail-page.js';
import type { LiveProgress } from '../../views/item-row.js';
import { itemData } from './item-data-query.js';
import { itemAccounts, productWaitStates, recentItemWebhooks, recentSyncRuns } from './item-detail-query.js';
import { findItemSummary, type ItemSummary } from './item-list-query.js';
import { liveProgress, versionedUrl, versionOf } from './live-progress.js';

export const rowPath = (itemId: string) => `/admin/items/${itemId}/row`;
export const livePath = (itemId: string) => `/admin/items/${itemId}/live`;

export async function loadItemSummary(deps: Pick<AdminDeps, 'sql'>, itemId: string): Promise<ItemSummary> {
  const item = await findItemSummary(deps.sql, itemId);
  if (!item) throw new NotFoundError('item');
  return item;
}

export async function loadItemDetail(deps: Pick<AdminDeps, 'sql' | 'db'>, itemId: string): Promise<ItemDetail> {
  const item = await loadItemSummary(deps, itemId);
  const [accounts, data, runs, webhooks, waits] = await Promise.all([
    itemAccounts(deps.db, itemId),
    itemData(deps.sql, itemId),
    recentSyncRuns(deps.db, itemId),
    recentItemWebhooks(deps.db, itemId),
    productWaitStates(deps.sql, itemId),
  ]);
  const products = syncableProducts(item);
  // Accounts shown under a product the item is not entitled to: the operator may enable it, knowingly.
  const enableable = [...new Set(accounts.filter((a) => a.status === 'active').map((a) => a.product))].filter((p) => !products.includes(p));
  return { item, products, enableable, accounts, data, runs, webhooks, waits };
}

export interface ItemLiveState {
  live: LiveProgress;
  idlePollUrl: string;
  /** The digest of the detail: an idle poll sending it back is answered 204 while nothing changed. */
  version: string;
}

/** How an item's live part polls: every second while work runs or is awaited, else the idle poll. */
export function itemLiveState(detail: ItemDetail, since: Date | undefined): ItemLiveState {
  const path = livePath(detail.item.id);
  const version = versionOf(detail);
  return { live: liveProgress(detail.item, { pollPath: path, since }), idlePollUrl: versionedUrl(path, version), version };
}

/** The products the service syncs for an item: those it is entitled to (its accounts may be scoped to others). */
export function syncableProducts(item: Pick<ItemSummary, 'entitledProducts'>): Product[] {
  return [...new Set(item.entitledProducts.filter(isProduct))];
}
