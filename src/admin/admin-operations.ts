import { applyProductBackfill, planProductBackfill, type ProductBackfillCounts } from '../services/product-backfill.js';
import { checkItemStatus, type StatusCheckResult } from '../status/status-check.js';
import { replayWebhookEvent } from '../webhooks/webhook-replay.js';
import type { AdminDeps } from './admin-deps.js';

/**
 * Operations the admin page starts but other modules own. An absent verb shows its button
 * disabled and its route answers 501, so the page never grows a second implementation of
 * another module's work.
 */
export interface AdminOperations {
  /** `/item/get` for one item, moving its status; resolves to a one-line summary. */
  checkItemStatus?: (itemId: string) => Promise<string>;
  /** Queues a status check (then syncs) of every item that is not disconnected; resolves to how many. */
  refreshAll?: () => Promise<number>;
  /** Processes a recorded webhook event again. */
  replayWebhook?: (eventId: string) => Promise<void>;
  planProductBackfill?: () => Promise<ProductBackfillCounts>;
  applyProductBackfill?: () => Promise<ProductBackfillCounts>;
}

export function describeStatusCheck(result: StatusCheckResult): string {
  switch (result.status) {
    case 'active':
      return `Plaid reports the item healthy; ${result.syncsRequested} ${result.syncsRequested === 1 ? 'sync' : 'syncs'} requested.`;
    case 'needs_reauth':
    case 'disconnected':
      return `Plaid reports ${result.errorCode}: the item is now ${result.status}.`;
    case 'unchanged':
      return `Plaid reports ${result.errorCode}; the status is unchanged.`;
    case 'skipped':
      return result.reason === 'item_disconnected' ? 'The item is disconnected; nothing to check.' : 'The item no longer exists.';
  }
}

export function adminOperations(deps: AdminDeps): AdminOperations {
  const queue = deps.queue;
  return {
    // The status check's triggers are the schedule and refresh-all; an operator's check is the latter, for one item.
    checkItemStatus: async (itemId) => describeStatusCheck(await checkItemStatus(deps, { itemId, trigger: 'refresh_all' })),
    ...(queue
      ? {
          refreshAll: async () => (await queue.requestStatusChecks({ trigger: 'refresh_all' })).queued,
          replayWebhook: async (eventId: string) => {
            await replayWebhookEvent({ sql: deps.sql, queue }, { eventId });
          },
        }
      : {}),
    planProductBackfill: () => planProductBackfill(deps.db),
    applyProductBackfill: () => applyProductBackfill(deps.db),
  };
}
