import type PgBoss from 'pg-boss';
import type { Sql } from '../db/client.js';
import type { SyncOutcome } from '../sync/sync-outcome.js';
import type { SyncRequest } from '../sync/sync-scheduler.js';
import type { SyncJobData } from './queue-sync-scheduler.js';

export type RunSync = (request: SyncRequest) => Promise<SyncOutcome>;

/** A failure worth another attempt later: the job is failed so pg-boss retries it with backoff. */
export class RetryableSyncError extends Error {
  override name = 'RetryableSyncError';
}

/** Joining another instance's run can happen at most this often before the job gives up for a retry. */
const MAX_JOINS = 3;

/**
 * Whether the run began before the job was created. The outcome carries its run's start (both
 * times are the database's clock); a millisecond tie counts as before, since the Date has lost the
 * microseconds that would decide it and running again is the safe side.
 */
async function startedBefore(sql: Sql, outcome: Exclude<SyncOutcome, { status: 'skipped' }>, createdOn: Date): Promise<boolean> {
  if (outcome.startedAt) return outcome.startedAt.getTime() <= createdOn.getTime();
  const [run] = await sql<{ before: boolean }[]>`
    select started_at < ${createdOn.toISOString()}::timestamptz as before from sync_runs where id = ${outcome.runId}`;
  return run?.before ?? false;
}

/**
 * Runs one queued sync through the engine. The engine lets a caller join a run already going for
 * the same (item, product) in another instance; such a run may have passed the data this job was
 * queued for, so a joined run that started before the job was created does not count, and the job
 * runs again once the key is free.
 */
export function syncJobHandler(deps: { sql: Sql; runSync: RunSync }) {
  return async (job: PgBoss.JobWithMetadata<SyncJobData>): Promise<object> => {
    const request: SyncRequest = { itemId: job.data.itemId, product: job.data.product, trigger: job.data.trigger };
    if (job.data.fromScratch) request.fromScratch = true;
    for (let joins = 0; ; joins++) {
      const outcome = await deps.runSync(request);
      if (outcome.status === 'skipped') {
        if (outcome.reason === 'stopped') throw new RetryableSyncError('the instance is stopping');
        return { outcome: 'skipped', reason: outcome.reason };
      }
      if (outcome.runId !== null && joins < MAX_JOINS) {
        if (await startedBefore(deps.sql, outcome, new Date(job.createdOn))) continue;
      } else if (outcome.runId !== null) {
        throw new RetryableSyncError('the key stayed busy with runs older than this request');
      }
      if (outcome.status === 'failed') {
        // Transient failures outlived the adapter's own retries: the queue tries again later.
        if (outcome.error.kind === 'transient' || outcome.error.kind === 'internal') {
          throw new RetryableSyncError(`${outcome.error.code}: ${outcome.error.message}`);
        }
        return { outcome: 'failed', runId: outcome.runId, code: outcome.error.code };
      }
      return { outcome: 'succeeded', runId: outcome.runId, changed: outcome.changed };
    }
  };
}
