import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTcpProxy } from '../support/resilience-tcp-proxy.js';

/**
 * The server ending a connection in the middle of a transaction (a restart, a failover, an
 * administrator's pg_terminate_backend). postgres.js 3.4.9 then wrote its ROLLBACK to the closed
 * socket from a timer and threw where no caller could catch it, ending the process;
 * `patches/postgres+3.4.9.patch` settles the queries instead. A regression fails this run with an
 * uncaught exception (the throw comes before the pool's reconnect below completes).
 */
/** A transaction holding one of the pool's connections in `pg_sleep`, once it is running there. */
async function sleepingTransaction(pool: DatabaseHandle): Promise<{ pid: number; transaction: Promise<unknown> }> {
  let started!: (pid: number) => void;
  const running = new Promise<number>((resolve) => (started = resolve));
  const transaction = pool.sql.begin(async (tx) => {
    started((await tx<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid);
    await tx`select pg_sleep(5)`;
  });
  // Handled here so a rejection before the caller awaits it is not reported as unhandled.
  transaction.catch(() => undefined);
  return { pid: await running, transaction };
}

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
      const { pid, transaction } = await sleepingTransaction(handle);
      await database.sql`select pg_terminate_backend(${pid})`;
      await expect(transaction).rejects.toBeDefined();
      // The pool reconnects. A statement handed to the dying connection before its FATAL arrived fails
      // with that error (as any statement in flight when a server goes does); the next one runs.
      const one = () => handle.sql<{ one: number }[]>`select 1 as one`.then((rows) => rows[0]!.one);
      expect(await one().catch(one)).toBe(1);
    }
  });

  it('a reserve waiting for a connection gets one when the connection it waited for is lost', async () => {
    // One connection, held by a transaction, so the reserve queues behind it. postgres.js 3.4.9 gave
    // the queued reserve to the lost connection's reconnect, which dropped it: the promise never
    // settled (upstream 1195), and the sync engine's staging COPY waited on it forever.
    const single = connectDatabase(database.url, { max: 1 });
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const { pid, transaction } = await sleepingTransaction(single);
        const waiting = single.sql.reserve();
        await database.sql`select pg_terminate_backend(${pid})`;
        await expect(transaction).rejects.toBeDefined();
        const reserved = await waiting;
        expect((await reserved<{ one: number }[]>`select 1 as one`)[0]!.one).toBe(1);
        reserved.release();
        expect((await single.sql<{ one: number }[]>`select 1 as one`)[0]!.one).toBe(1);
      }
    } finally {
      await single.close();
    }
  }, 20_000);

  it('a reserve that cannot get a connection fails, and the pool works once the database is back', async () => {
    // The failed reserve must leave the pool's queue: kept there, the next connection to open was
    // handed to it, a reserve nobody waits for, and every later query waited for a connection.
    const proxy = await startTcpProxy(database.url);
    const single = connectDatabase(proxy.url(database.url), { max: 1 });
    try {
      await proxy.setMode('refuse');
      await expect(single.sql.reserve()).rejects.toBeDefined();
      await proxy.setMode('forward');
      const one = () => single.sql<{ one: number }[]>`select 1 as one`.then((rows) => rows[0]!.one);
      expect(await one()).toBe(1);
      const reserved = await single.sql.reserve();
      expect((await reserved<{ one: number }[]>`select 1 as one`)[0]!.one).toBe(1);
      reserved.release();
      expect(await one()).toBe(1);
    } finally {
      await single.close();
      await proxy.close();
    }
  }, 20_000);

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
