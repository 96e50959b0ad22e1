import type { WorkQueue } from '../../src/queue/work-queue.js';
import type { StatusCheckRequest } from '../../src/status/status-checks.js';
import type { SyncRequest } from '../../src/sync/sync-scheduler.js';

/**
 * A work queue that only records what was put on it, for app tests that do not run the queue. Its
 * enqueue statement is a no-op of the caller's transaction, as the contract asks for a statement.
 */
export function recordingWorkQueue(): WorkQueue & { syncs: SyncRequest[]; itemEvents: string[]; statusChecks: StatusCheckRequest[] } {
  const syncs: SyncRequest[] = [];
  const itemEvents: string[] = [];
  const statusChecks: StatusCheckRequest[] = [];
  return {
    syncs,
    itemEvents,
    statusChecks,
    enqueueSyncs: (tx, requests) => {
      syncs.push(...requests);
      return tx.unsafe('select 1').execute();
    },
    enqueueItemEvents: (tx, eventIds) => {
      itemEvents.push(...eventIds);
      return tx.unsafe('select 1').execute();
    },
    notify: () => undefined,
    requestStatusChecks: (request) => {
      statusChecks.push(request);
      return Promise.resolve({ queued: 0, lastStartsAt: null });
    },
  };
}
