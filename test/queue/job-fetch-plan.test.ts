import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFetchIndex, FETCH_INDEX } from '../../src/queue/job-fetch-index.js';
import { QUEUE_SCHEMA, startJobQueue } from '../../src/queue/job-queue.js';
import { SYNC_QUEUES } from '../../src/queue/queue-names.js';
import { captureLogs } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { planNodes } from '../support/query-plans.js';

/**
 * pg-boss's job fetch orders by (priority desc, created_on, id); its own index for the fetch is in
 * start_after order, so with a backlog each fetch read and sorted every waiting job of the queue.
 * The service adds an index in the fetch's order after pg-boss starts (ADR 0008).
 */
describe('the pg-boss job fetch index', () => {
  let database: TestDatabase;
  let boss: PgBoss;
  const queue = SYNC_QUEUES.transactions;

  const start = () => startJobQueue({ connectionString: database.url, logger: captureLogs().logger, cronCheckIntervalSeconds: 30, background: false });

  beforeAll(async () => {
    database = await createTestDatabase();
    boss = await start();
  });
  afterAll(async () => {
    await boss.stop({ graceful: false, wait: true });
    await database.drop();
  });

  /** The statement pg-boss sends for the fetch the job pool makes (`boss.fetch(name, { batchSize, includeMetadata })`). */
  async function fetchStatement(batchSize: number): Promise<{ text: string; values: unknown[] }> {
    let captured: { text: string; values: unknown[] } | undefined;
    await boss.fetch(queue, {
      batchSize,
      includeMetadata: true,
      db: { executeSql: (text: string, values: unknown[] = []) => ((captured = { text, values }), Promise.resolve({ rows: [] })) },
    });
    return captured!;
  }

  /** Indexes of the queue partitions that PostgreSQL made from the index on pgboss.job. */
  const partitionIndexes = async () =>
    (await database.sql<{ name: string; table: string }[]>`
      select child.relname as name, partition.relname as table from pg_inherits inherits
      join pg_class child on child.oid = inherits.inhrelid
      join pg_index index on index.indexrelid = child.oid
      join pg_class partition on partition.oid = index.indrelid
      where inherits.inhparent = to_regclass(${`${QUEUE_SCHEMA}.${FETCH_INDEX}`})`);

  const partitions = async () =>
    (await database.sql<{ table: string }[]>`select partition_name as table from pgboss.queue order by name`).map((row) => row.table);

  it('is what the fetch reads with a backlog of waiting jobs (EXPLAIN of pg-boss’s own statement)', async () => {
    const jobs = Array.from({ length: 5_000 }, (_, i) => ({ name: queue, data: { i }, singletonKey: `item-${i}:transactions` }));
    for (let at = 0; at < jobs.length; at += 1_000) await boss.insert(jobs.slice(at, at + 1_000));
    await database.sql`analyze pgboss.job`;
    const { text, values } = await fetchStatement(8);
    const [explained] = await database.sql.unsafe<{ 'QUERY PLAN': unknown }[]>(`explain (format json) ${text}`, values as string[]);
    const scans = planNodes(explained!['QUERY PLAN']).filter((node) => node['Node Type'] !== 'ModifyTable' && node['Relation Name']?.startsWith('j'));
    const ours = new Set((await partitionIndexes()).map((row) => row.name));
    // One read of the queue's partition for the rows to take (the update finds them by primary key).
    const reads = scans.filter((node) => !String(node['Index Name'] ?? '').endsWith('_pkey'));
    expect(reads.map((node) => `${node['Node Type']} ${String(ours.has(String(node['Index Name'])))}`)).toEqual(['Index Scan true']);
  });

  it('covers every queue partition, those of queues created later too, and comes back at the next start if dropped', async () => {
    const late = `late-${Date.now()}`;
    await boss.createQueue(late, { name: late, policy: 'standard' });
    expect((await partitionIndexes()).map((row) => row.table).sort()).toEqual((await partitions()).sort());

    // As a pg-boss schema upgrade that rebuilt its job table would leave it.
    await database.sql.unsafe(`drop index ${QUEUE_SCHEMA}.${FETCH_INDEX}`);
    expect(await partitionIndexes()).toEqual([]);
    const again = await start();
    await again.stop({ graceful: false, wait: true });
    expect((await partitionIndexes()).map((row) => row.table).sort()).toEqual((await partitions()).sort());
  });

  it('is skipped with a warning, not a failed start, on a job table without the fetch’s columns', async () => {
    const { logger, lines } = captureLogs();
    await database.sql`create schema other_boss`;
    await database.sql`create table other_boss.job (id uuid primary key)`;
    expect(await ensureFetchIndex(database.sql, 'other_boss', logger)).toBe(false);
    expect(lines.filter((line) => line.msg === 'queue_fetch_index_failed')).toHaveLength(1);
  });
});
