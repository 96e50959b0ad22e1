import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompletionBatcher } from '../../src/queue/job-completions.js';
import { startJobQueue } from '../../src/queue/job-queue.js';
import { SYNC_QUEUES } from '../../src/queue/queue-names.js';
import { captureLogs } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { planNodes } from '../support/query-plans.js';

/**
 * The job pool completes the jobs that finish together in one statement. Planned with the planner's
 * guess of 100 rows for the batch (a `jsonb_to_recordset` parameter), it hashed the batch and read the
 * queue's whole partition, every job pg-boss still keeps: 2–3 ms a call in a drain of thousands of
 * syncs, growing with the queue. A batch is a handful of jobs, each found by primary key.
 */
describe('the job completions’ statement', () => {
  let database: TestDatabase;
  let boss: PgBoss;
  const queue = SYNC_QUEUES.transactions;

  beforeAll(async () => {
    database = await createTestDatabase();
    boss = await startJobQueue({ connectionString: database.url, logger: captureLogs().logger, cronCheckIntervalSeconds: 30, background: false });
    const jobs = Array.from({ length: 5_000 }, (_, i) => ({ name: queue, data: { i }, singletonKey: `item-${i}:transactions` }));
    for (let at = 0; at < jobs.length; at += 1_000) await boss.insert(jobs.slice(at, at + 1_000));
    await database.sql`update pgboss.job set state = 'completed', completed_on = now() where name = ${queue}`;
    await database.sql`analyze pgboss.job`;
  });
  afterAll(async () => {
    await boss.stop({ graceful: false, wait: true });
    await database.drop();
  });

  /** Two jobs taken by a worker, as the pool holds them when they finish. */
  async function activeJobs(): Promise<string[]> {
    await boss.insert([1, 2].map(() => ({ name: queue, data: {}, singletonKey: `item-${randomUUID()}:transactions` })));
    const ids = (await boss.fetch(queue, { batchSize: 2 })).map((job) => job.id);
    expect(ids).toHaveLength(2);
    return ids;
  }

  /** The statement a batch of the given jobs sends, captured instead of run. */
  async function completionStatement(ids: string[]): Promise<{ text: string; values: unknown[] }> {
    let captured: { text: string; values: unknown[] } | undefined;
    const capturing = { getDb: () => ({ executeSql: (text: string, values: unknown[] = []) => ((captured = { text, values }), Promise.resolve({ rows: [] })) }) };
    const batcher = new CompletionBatcher(capturing as unknown as PgBoss);
    await Promise.all(ids.map((id) => batcher.complete(queue, id, { ok: true })));
    return captured!;
  }

  it('finds each job of a batch by primary key, with thousands of jobs in the queue’s partition', async () => {
    const { text, values } = await completionStatement(await activeJobs());
    const [explained] = await database.sql.unsafe<{ 'QUERY PLAN': unknown }[]>(`explain (format json) ${text}`, values as never);
    const reads = planNodes(explained!['QUERY PLAN']).filter((node) => node['Node Type'] !== 'ModifyTable' && node['Relation Name']?.startsWith('j'));
    expect(reads.map((node) => `${node['Node Type']} ${String(node['Index Name'] ?? '').endsWith('_pkey')}`)).toEqual(['Index Scan true']);
  });

  it('completes active jobs, each with its own output, and leaves the others alone', async () => {
    const [first, second] = await activeJobs();
    const batcher = new CompletionBatcher(boss);
    await Promise.all([batcher.complete(queue, first!, { run: 'a', note: 'it’s "quoted", {braced}' }), batcher.complete(queue, second!, { run: 'b' })]);
    // Completing again changes nothing: only `active` jobs complete, as in pg-boss's own `complete`.
    await database.sql`update pgboss.job set output = null where id = ${second!}`;
    await batcher.complete(queue, second!, { run: 'again' });
    const rows = await database.sql<{ id: string; state: string; output: unknown }[]>`
      select id, state, output from pgboss.job where id in ${database.sql([first!, second!])}`;
    expect(Object.fromEntries(rows.map((row) => [row.id, [row.state, row.output]]))).toEqual({
      [first!]: ['completed', { run: 'a', note: 'it’s "quoted", {braced}' }],
      [second!]: ['completed', null],
    });
  });
});
