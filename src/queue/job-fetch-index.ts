import type postgres from 'postgres';
import type { Logger } from '../logger.js';
import { errorLogFields } from '../error-log-fields.js';

export const FETCH_INDEX = 'job_fetch_order_idx';

/**
 * pg-boss 10 fetches with `WHERE name = $1 AND state < 'active' AND start_after < now() ORDER BY
 * priority desc, created_on, id LIMIT $2 FOR UPDATE SKIP LOCKED` (`fetchNextJob` in its plans.js),
 * but its only index for that (`job_i5`) is ordered by start_after: every fetch read every waiting
 * job of the queue and sorted them, so a fetch cost grew with the backlog. This index is in the
 * fetch's order, so a fetch reads the few jobs it takes.
 */
const FETCH_INDEX_COLUMNS = `(name, priority desc, created_on, id) where state < 'active'`;

/**
 * Creates the fetch index on pg-boss's job table when it is missing, invalid, or left on another
 * table (see docs/adr/0008-pgboss-fetch-index.md for why after every start rather than in a
 * migration). Made on the partitioned parent, so every queue's partition has it, and PostgreSQL
 * builds it on the partitions of queues created later when pg-boss attaches them. Idempotent; run
 * under the caller's start-up lock. A failure (a pg-boss release whose job table no longer has
 * these columns) is logged and the service runs on without it: fetches work, only slower.
 */
export async function ensureFetchIndex(sql: postgres.Sql, schema: string, logger: Logger): Promise<boolean> {
  const table = `${schema}.job`;
  try {
    const [present] = await sql<{ valid: boolean }[]>`
      select index.indisvalid as valid from pg_index index
      where index.indexrelid = to_regclass(${`${schema}.${FETCH_INDEX}`}) and index.indrelid = to_regclass(${table})`;
    if (present?.valid) return true;
    await sql.begin(async (tx) => {
      await tx.unsafe(`drop index if exists ${schema}.${FETCH_INDEX}`);
      await tx.unsafe(`create index ${FETCH_INDEX} on ${table} ${FETCH_INDEX_COLUMNS}`);
    });
    logger.info({ index: FETCH_INDEX }, 'queue_fetch_index_created');
    return true;
  } catch (error) {
    logger.warn({ ...errorLogFields(error), index: FETCH_INDEX }, 'queue_fetch_index_failed');
    return false;
  }
}
