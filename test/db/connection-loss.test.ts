import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * The server ending a connection in the middle of a transaction (a restart, a failover, an
 * administrator's pg_terminate_backend). postgres.js 3.4.9 then wrote its ROLLBACK to the closed
 * socket from a timer and threw where no caller could catch it, ending the process;
 * `patches/postgres+3.4.9.patch` settles the queries instead. A regression fails this run with an
 * uncaught exception (the throw comes before the pool's reconnect below completes).
 */
describe('a connection lost inside a transaction', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = connectDatabase(database.url, { max: 2 });
  });
  afterAll(async () => {
    await handle.close();
    await database.drop();
  });

  it('rejects the transaction, keeps the process alive and the pool usable', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      let pid: number | undefined;
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const transaction = handle.sql.begin(async (tx) => {
        pid = (await tx<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;
        started();
        await tx`select pg_sleep(5)`;
      });
      await running;
      await database.sql`select pg_terminate_backend(${pid!})`;
      await expect(transaction).rejects.toBeDefined();
      // The pool reconnects. A statement handed to the dying connection before its FATAL arrived fails
      // with that error (as any statement in flight when a server goes does); the next one runs.
      const one = () => handle.sql<{ one: number }[]>`select 1 as one`.then((rows) => rows[0]!.one);
      expect(await one().catch(one)).toBe(1);
    }
  });

  it('a reserved connection lost before its release leaves the pool usable', async () => {
    // One connection, so a dead one put back in the pool would take every later query with it.
    const single = connectDatabase(database.url, { max: 1 });
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const reserved = await single.sql.reserve();
        const pid = (await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;
        const sleeping = reserved`select pg_sleep(5)`;
        await database.sql`select pg_terminate_backend(${pid})`;
        await expect(sleeping).rejects.toBeDefined();
        // Work still on the reservation fails at once instead of hanging, and the release is harmless.
        await expect(reserved`select 1`).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
        reserved.release();
        const one = () => single.sql<{ one: number }[]>`select 1 as one`.then((rows) => rows[0]!.one);
        expect(await one().catch(one)).toBe(1);
      }
    } finally {
      await single.close();
    }
  });
});
