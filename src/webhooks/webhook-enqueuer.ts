import type { Sql } from '../db/client.js';
import type { SyncRequest } from '../sync/sync-scheduler.js';

/** Where intake puts the work a webhook asks for, inside the transaction that records it. */
export interface WebhookEnqueuer {
  enqueueSync(tx: Pick<Sql, 'unsafe'>, request: SyncRequest): Promise<void>;
  enqueueItemEvent(tx: Pick<Sql, 'unsafe'>, eventId: string): Promise<void>;
  /** After the commit: let local workers look now. */
  notify(): void;
}
