import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobQueue } from '../../src/queue/job-queue.js';
import { insertJobs } from '../../src/queue/transaction-db.js';
import { captureLogs } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('jobs queued inside a transaction (insertJobs)', () => {
  let database: TestDatabase;
  let boss: PgBoss;
  let queue: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    boss = await startJobQueue({ connectionString: database.url, logger: captureLogs().logger, cronCheckIntervalSeconds: 30, background: false });
    queue = `test-${randomUUID().slice(0, 8)}`;
    await boss.createQueue(queue, { name: queue, retryLimit: 4, retryDelay: 3, retryBackoff: true, expireInSeconds: 90 });
  });
  afterAll(async () => {
    await boss.stop({ graceful: false, wait: true });
    await database.drop();
  });

  const jobColumns = (sql: TestDatabase['sql'], marker: string) =>
    sql<{ xmin: string; name: string; retry_limit: number; retry_delay: number; retry_backoff: boolean; expire_in: string; singleton_key: string | null; policy: string }[]>`
      select xmin::text, name, retry_limit, retry_delay, retry_backoff, expire_in::text, singleton_key, policy
      from pgboss.job where data->>'marker' = ${marker}`;

  it('writes the job pg-boss `insert` would, with the queue settings applied', async () => {
    const marker = randomUUID();
    const viaBoss = randomUUID();
    await boss.insert([{ name: queue, data: { marker: viaBoss }, singletonKey: 'k-boss' }]);

    const { statement } = await database.sql.begin((tx) =>
      Promise.resolve({ statement: insertJobs(tx, boss, [{ name: queue, data: { marker }, singletonKey: 'k-tx' }]) }),
    );
    await statement;

    const [mine] = await jobColumns(database.sql, marker);
    const [theirs] = await jobColumns(database.sql, viaBoss);
    // The queue's own settings applied exactly as through pg-boss.
    expect({ ...mine, xmin: undefined, singleton_key: undefined }).toEqual({ ...theirs, xmin: undefined, singleton_key: undefined });
    expect(mine).toMatchObject({ retry_limit: 4, retry_delay: 3, retry_backoff: true, singleton_key: 'k-tx' });
  });

  it('commits the job with the rows of the same transaction (one transaction id), or neither', async () => {
    await database.sql`create table if not exists recorded_rows (marker text primary key)`;
    const marker = randomUUID();
    // The callback returns without awaiting the job statement, so postgres.js sends the COMMIT at once.
    const { statement } = await database.sql.begin(async (tx) => {
      await tx`insert into recorded_rows values (${marker})`;
      return { statement: insertJobs(tx, boss, [{ name: queue, data: { marker } }]) };
    });
    await statement;
    const [row] = await database.sql<{ xmin: string }[]>`select xmin::text from recorded_rows where marker = ${marker}`;
    const [job] = await jobColumns(database.sql, marker);
    expect(job?.xmin).toBe(row?.xmin);

    // A job statement that fails (an id that is not a uuid) aborts the transaction: the COMMIT sent
    // behind it is answered with a rollback, and the caller learns why from the statement.
    const lost = randomUUID();
    const attempt = await database.sql.begin(async (tx) => {
      await tx`insert into recorded_rows values (${lost})`;
      const failing = insertJobs(tx, boss, [{ id: 'not-a-uuid', name: queue, data: { marker: lost } }]);
      return { failing: failing.then(() => null, (error: unknown) => error) };
    });
    expect(await attempt.failing).toMatchObject({ code: '22P02' });
    expect(await database.sql`select 1 from recorded_rows where marker = ${lost}`).toHaveLength(0);
    expect(await jobColumns(database.sql, lost)).toHaveLength(0);
  });
});
