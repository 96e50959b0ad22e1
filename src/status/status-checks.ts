import type { SyncTrigger } from '../sync/sync-scheduler.js';

/** `webhook`: `LOGIN_REPAIRED`, or a login error that may be older than the item's repair. */
export type StatusCheckTrigger = Extract<SyncTrigger, 'schedule' | 'refresh_all' | 'webhook'>;

export interface StatusCheckRequest {
  /** Only this user's items (the REST API); every item when absent (the schedule, the admin page). */
  userId?: string;
  trigger: StatusCheckTrigger;
}

export interface StatusCheckBatch {
  /** Items whose status check was queued (items with one already waiting are not queued twice). */
  queued: number;
  /** When the last of them may start: the batch is spread to stay inside Plaid's rate limits. */
  lastStartsAt: string | null;
}

/** Queues the Active Sync archetype for items that are not disconnected: `/item/get`, then their syncs. */
export interface StatusCheckRequester {
  requestStatusChecks(request: StatusCheckRequest): Promise<StatusCheckBatch>;
}
