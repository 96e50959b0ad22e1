import type { Product } from '../db/schema/products.js';
import type { SyncOutcome } from './sync-outcome.js';

/** What caused a sync run; recorded on `sync_runs.trigger` and as a metric label. */
export const SYNC_TRIGGERS = ['initial', 'webhook', 'schedule', 'refresh_all', 'admin', 'api', 'backfill', 'reauth', 'recovery'] as const;
export type SyncTrigger = (typeof SYNC_TRIGGERS)[number];

export interface SyncRequest {
  itemId: string;
  product: Product;
  trigger: SyncTrigger;
  /** Re-pull from an empty cursor (history backfill); idempotent. */
  fromScratch?: boolean;
}

/**
 * Asks for a sync without waiting for it. Implementations guarantee one run at a time per
 * (item, product) and coalesce requests that arrive while one runs into at most one follow-up.
 */
export interface SyncScheduler {
  request(request: SyncRequest): Promise<void>;
  /**
   * Runs the sync (or joins the one already running for the same item and product, in this process
   * or another) and resolves with that run's outcome. Callers that must answer quickly bound their
   * own wait; the run continues either way.
   */
  run?(request: SyncRequest): Promise<SyncOutcome>;
}
