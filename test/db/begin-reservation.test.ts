import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * `sql.begin` reserves its connection when its `BEGIN` is written. postgres.js 3.4.9 skipped that
 * step when the `BEGIN` was the query that filled the connection's pipeline (or met socket
 * backpressure): the transaction's callback then failed with a `TypeError`, a second one was thrown
 * where no caller could catch it (ending the process), and the connection went back to the pool
 * with the transaction still open (upstream issue 1189). `patches/postgres+3.4.9.patch` reserves
 * the connection whenever `BEGIN` was written. The default pipeline is 100 queries deep, reached
 * on a busy pool; a pipeline of two reaches it with two queries.
 */
describe('a transaction whose BEGIN fills the connection pipeline', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('still gets its connection to itself, and leaves no transaction open behind it', async () => {
    // `max_pipeline` is a postgres.js option its 3.4.9 type definitions leave out.
    const options = { max: 1, max_pipeline: 2, onnotice: () => undefined };
    const sql = postgres(database.url, options);
    try {
      await sql`select 1`;
      // One query running and one waiting behind it: the BEGIN is the second in the pipeline.
      const running = sql`select pg_sleep(0.05)`.execute();
      const waiting = sql`select 2`.execute();
      const transaction = sql.begin(async (tx) => {
        const [first] = await tx<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
        const [second] = await tx<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
        return [first!.xid, second!.xid];
      });
      await Promise.all([running, waiting]);
      const [first, second] = await transaction;
      expect(first).toBe(second);
      // The next query outside the transaction runs in no transaction of anyone's.
      const [after] = await sql<{ xid: string | null }[]>`select pg_current_xact_id_if_assigned()::text as xid`;
      expect(after!.xid).toBeNull();
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
