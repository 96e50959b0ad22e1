import type { StatusCheckBatch, StatusCheckRequester } from './status-checks.js';

/**
 * "Refresh all": the hourly Active Sync now, for one user's items (the REST API) or every item (the
 * admin page). The checks and syncs run on the workers, spread inside Plaid's rate limits.
 */
export function refreshAllItems(deps: { queue: StatusCheckRequester }, input: { userId?: string } = {}): Promise<StatusCheckBatch> {
  return deps.queue.requestStatusChecks({ ...input, trigger: 'refresh_all' });
}
