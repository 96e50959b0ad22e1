import type { AppDeps } from '../app.js';

export interface ProductBackfillCount {
  product: string;
  count: number;
}

export interface ProductBackfillView {
  counts: ProductBackfillCount[];
  total: number;
}

/**
 * Operations the admin page starts but other modules own (status check, refresh-all, webhook
 * replay, product backfill). An absent verb shows its button disabled and its route answers 501,
 * so the page never grows a second implementation of another module's work.
 */
export interface AdminOperations {
  /** `/item/get` for one item, moving its status; resolves to a one-line summary. */
  checkItemStatus?: (itemId: string) => Promise<string>;
  /** Asks for a sync of every active item; resolves to how many were asked for. */
  refreshAll?: () => Promise<number>;
  /** Processes a recorded webhook event again. */
  replayWebhook?: (eventId: string) => Promise<void>;
  planProductBackfill?: () => Promise<ProductBackfillView>;
  applyProductBackfill?: () => Promise<ProductBackfillView>;
}

export function adminOperations(_deps: AppDeps): AdminOperations {
  return {};
}
