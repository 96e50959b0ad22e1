import type { Sql } from '../db/client.js';
import type { JobStatement } from '../queue/transaction-db.js';
import type { SyncRequest } from '../sync/sync-scheduler.js';

/**
 * Where the work webhooks ask for goes, inside the transaction that hands it over (the dispatcher's,
 * which deletes the inbox rows; an orphan adoption's; a replay's). Each method returns a statement
 * of `tx`, already handed to its connection: the caller may send its COMMIT right behind it without
 * waiting for the answer, because a failing statement aborts the transaction and PostgreSQL then
 * answers the COMMIT with a rollback. A method must therefore fail only through that statement, or
 * by throwing before it returns. Neither takes an empty list.
 */
export interface WebhookEnqueuer {
  /** One job per request, in one statement; a request whose (item, product) already waits is absorbed. */
  enqueueSyncs(tx: Pick<Sql, 'unsafe'>, requests: readonly SyncRequest[]): JobStatement;
  enqueueItemEvents(tx: Pick<Sql, 'unsafe'>, eventIds: readonly string[]): JobStatement;
  /** After the commit: let local workers look now. */
  notify(): void;
}
