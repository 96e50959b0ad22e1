import type { AdminDeps } from './admin-deps.js';
import type { Product } from '../db/schema/index.js';
import { ConflictError } from '../http/errors.js';
import type { SyncTrigger } from '../sync/sync-scheduler.js';
import { loadItemSummary, syncableProducts } from './item-detail.js';
import type { ItemSummary } from './item-list-query.js';
import { databaseNow } from './live-progress.js';

export interface RequestedSyncs {
  item: ItemSummary;
  products: Product[];
  /** Database time just before the request; live progress waits for a run that starts after it. */
  since: Date;
}

/**
 * Asks the scheduler for syncs of an item, from the admin page. The scheduler owns the rest: one
 * run per (item, product), coalescing, retries. A disconnected item is refused here, because the
 * sync engine would skip it and the operator would wait for progress that never comes.
 */
export async function requestItemSyncs(
  deps: Pick<AdminDeps, 'sql' | 'db' | 'syncs' | 'logger'>,
  input: { itemId: string; products?: Product[]; trigger: Extract<SyncTrigger, 'admin' | 'backfill'>; fromScratch?: boolean },
): Promise<RequestedSyncs> {
  const item = await loadItemSummary(deps, input.itemId);
  if (item.status === 'disconnected') throw new ConflictError('item_disconnected', 'A disconnected item is never synced; the user must link it again.');
  const products = (input.products ?? syncableProducts(item)).filter((product) => item.entitledProducts.includes(product));
  const since = await databaseNow(deps.sql);
  for (const product of products) {
    await deps.syncs.request({ itemId: item.id, product, trigger: input.trigger, ...(input.fromScratch ? { fromScratch: true } : {}) });
  }
  deps.logger.info({ itemId: item.id, products, trigger: input.trigger, fromScratch: input.fromScratch === true }, 'admin_sync_requested');
  return { item, products, since };
}
