import type PgBoss from 'pg-boss';
import type { Sql } from '../db/client.js';
import type { StatusCheckBatch, StatusCheckRequest } from '../status/status-checks.js';
import { QUEUE_SCHEMA } from './job-queue.js';
import { STATUS_CHECK_QUEUE } from './queue-names.js';
import { postgresJsDb } from './transaction-db.js';

export interface StatusCheckJobData {
  itemId: string;
  trigger: StatusCheckRequest['trigger'];
}

const INSERT_CHUNK = 1_000;

/**
 * Queues a status check per live item, each with its own start time, `60 / perMinute` seconds apart.
 * Start times are global (any instance's worker runs a job once it is due), so the rate holds however
 * many instances there are; a new batch for all items starts after the last check already waiting,
 * so a "refresh all" during the hourly batch does not double the rate. A user's own refresh is a
 * handful of items: it starts now, and pulls its items' waiting checks forward.
 */
export async function fanOutStatusChecks(
  boss: PgBoss,
  sql: Sql,
  request: StatusCheckRequest & { perMinute: number },
): Promise<StatusCheckBatch> {
  const spacingMs = 60_000 / request.perMinute;
  const userId = request.userId ?? null;
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtextextended('plaid-sync:status-check-fanout', 0))`;
    // Epoch milliseconds: the shared client leaves timestamps as text.
    const [clock] = await tx<{ now: number; tail: number | null }[]>`
      select extract(epoch from now())::float8 * 1000 as now, extract(epoch from max(start_after))::float8 * 1000 as tail
      from ${tx(QUEUE_SCHEMA)}.job where name = ${STATUS_CHECK_QUEUE} and state = 'created'`;
    const items = await tx<{ id: string; waiting: boolean }[]>`
      select i.id, exists (
        select 1 from ${tx(QUEUE_SCHEMA)}.job j
        where j.name = ${STATUS_CHECK_QUEUE} and j.state = 'created' and j.singleton_key = i.id::text
      ) as waiting
      from plaid_items i
      where i.status <> 'disconnected' and (${userId}::uuid is null or i.user_id = ${userId}::uuid)
      order by i.id`;

    const now = clock!.now;
    const first = userId === null && clock!.tail !== null ? Math.max(now, clock!.tail + spacingMs) : now;
    const fresh = items.filter((item) => !item.waiting);
    if (userId !== null) {
      await tx`update ${tx(QUEUE_SCHEMA)}.job set start_after = now()
        where name = ${STATUS_CHECK_QUEUE} and state = 'created'
          and singleton_key = any (${items.filter((item) => item.waiting).map((item) => item.id)}::text[])`;
    }
    const jobs: PgBoss.JobInsert<StatusCheckJobData>[] = fresh.map((item, index) => ({
      name: STATUS_CHECK_QUEUE,
      data: { itemId: item.id, trigger: request.trigger },
      singletonKey: item.id,
      startAfter: new Date(first + index * spacingMs).toISOString(),
    }));
    for (let start = 0; start < jobs.length; start += INSERT_CHUNK) {
      await boss.insert(jobs.slice(start, start + INSERT_CHUNK), { db: postgresJsDb(tx) });
    }
    const last = jobs.at(-1);
    return { queued: jobs.length, lastStartsAt: last ? String(last.startAfter) : null };
  });
}
