import type { Sql } from '../db/client.js';
import type { SyncRequest } from '../sync/sync-scheduler.js';

/** Where intake puts the work webhooks ask for, inside the transaction that records them. */
export interface WebhookEnqueuer {
  /** One job per request, in one statement; a request whose (item, product) already waits is absorbed. */
  enqueueSyncs(tx: Pick<Sql, 'unsafe'>, requests: readonly SyncRequest[]): Promise<void>;
  enqueueItemEvents(tx: Pick<Sql, 'unsafe'>, eventIds: readonly string[]): Promise<void>;
  /** After the commit: let local workers look now. */
  notify(): void;
}
