import type PgBoss from 'pg-boss';
import type { Sql } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { SyncScheduler } from '../sync/sync-scheduler.js';
import { QUEUE_SCHEMA } from './job-queue.js';
import { SYNC_QUEUES } from './queue-names.js';
import type { SyncJobData } from './queue-sync-scheduler.js';

/**
 * Sync jobs taken by a process that then died. pg-boss would leave them `active` until they expire
 * (30 minutes), and a process killed after taking a job but before its run took the lock leaves no
 * `running` row for the stale-run recovery to find, so the sync the job stood for would wait that
 * long. A live job always has a run with a fresh heartbeat for its key (its own, or the one it joins)
 * within moments of starting; one active for longer than `staleAfterMs` without such a run belongs to
 * a dead process. Its sync is requested again (a new waiting job, which covers everything the
 * orphan stood for) and then the orphan is completed, so the key never goes without a job.
 */
export async function recoverOrphanedSyncJobs(deps: {
  boss: PgBoss;
  sql: Sql;
  syncs: SyncScheduler;
  logger: Logger;
  staleAfterMs: number;
}): Promise<number> {
  const { sql, staleAfterMs } = deps;
  const orphans = await sql<{ id: string; name: string; data: SyncJobData }[]>`
    select j.id, j.name, j.data from ${sql(QUEUE_SCHEMA)}.job j
    where j.name in ${sql(Object.values(SYNC_QUEUES))} and j.state = 'active'
      and j.started_on < now() - ${staleAfterMs} * interval '1 millisecond'
      and not exists (
        select 1 from sync_runs r
        where r.item_id::text = j.data->>'itemId' and r.product = j.data->>'product' and r.status = 'running'
          and r.heartbeat_at >= now() - ${staleAfterMs} * interval '1 millisecond')`;
  for (const orphan of orphans) {
    const { itemId, product, fromScratch } = orphan.data;
    await deps.syncs.request({ itemId, product, trigger: 'recovery', ...(fromScratch ? { fromScratch } : {}) });
    await deps.boss.complete(orphan.name, orphan.id, { outcome: 'orphaned', requeued: true });
    deps.logger.warn({ jobId: orphan.id, queue: orphan.name, item_id: itemId, product }, 'sync_job_orphaned');
  }
  return orphans.length;
}
