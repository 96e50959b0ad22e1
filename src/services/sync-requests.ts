import type { Product } from '../db/schema/index.js';
import type { SyncTrigger } from '../sync/sync-scheduler.js';
import type { ServiceDeps } from './service-deps.js';
import { errorLogFields } from '../error-log-fields.js';

/**
 * Asks for one sync per product. The item is already committed when this runs, so a scheduler
 * failure must not turn a successful link into an error the app would retry (and then see a 409):
 * it is logged, and the scheduled sync picks the item up.
 */
export async function requestSyncs(
  deps: Pick<ServiceDeps, 'syncs' | 'logger'>,
  input: { itemId: string; products: readonly Product[]; trigger: Extract<SyncTrigger, 'initial' | 'reauth'> },
): Promise<void> {
  for (const product of new Set(input.products)) {
    try {
      await deps.syncs.request({ itemId: input.itemId, product, trigger: input.trigger });
    } catch (error) {
      deps.logger.warn({ itemId: input.itemId, product, trigger: input.trigger, ...errorLogFields(error) }, 'sync_request_failed');
    }
  }
}
