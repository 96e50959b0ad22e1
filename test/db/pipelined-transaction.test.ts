import type net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { pipelinedTransaction } from '../../src/db/pipelined-transaction.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startDatabaseProxy } from '../support/database-proxy.js';

/**
 * A proxy in front of the database that can hold the server's answers back, and tells when the
 * client has sent a given text: a statement that reaches the server while its transaction's `BEGIN`
 * is still unanswered was pipelined behind it.
 */
async function startHoldingProxy(databaseUrl: string) {
  let holding = false;
  const held: { client: net.Socket; chunk: Buffer }[] = [];
  const watches: { text: string; seen: () => void }[] = [];
  const proxy = await startDatabaseProxy(databaseUrl, (client, upstream) => {
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      const text = chunk.toString('latin1');
      for (const watch of watches.filter((w) => text.includes(w.text))) watch.seen();
    });
    upstream.on('data', (chunk: Buffer) => (holding ? held.push({ client, chunk }) : client.write(chunk)));
  });
  return {
    ...proxy,
    hold: () => void (holding = true),
    release() {
      holding = false;
      for (const { client, chunk } of held.splice(0)) client.write(chunk);
    },
    sent: (text: string) => new Promise<void>((seen) => watches.push({ text, seen })),
  };
}

describe('pipelinedTransaction', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    // One connection: a connection not given back would make every later test here hang.
    handle = connectDatabase(database.url, { max: 1 });
    await database.sql`create table pipelined_rows (marker text primary key)`;
  });
  afterAll(async () => {
    await handle.close();
    await database.drop();
  });

  const stored = async (marker: string) =>
    (await database.sql<{ n: number }[]>`select count(*)::int as n from pipelined_rows where marker = ${marker}`)[0]!.n;

  it('commits what the body wrote, in one transaction, and gives the connection back', async () => {
    const marker = randomUUID();
    const xids = await pipelinedTransaction(handle.sql, async (tx) => {
      const [first] = await tx<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
      await tx`insert into pipelined_rows values (${marker})`;
      const [second] = await tx<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
      return [first!.xid, second!.xid];
    });
    expect(xids[0]).toBe(xids[1]);
    const [row] = await handle.sql<{ xmin: string }[]>`select xmin::text from pipelined_rows where marker = ${marker}`;
    expect(row?.xmin).toBe(xids[0]);
  });

  it('sends the first statements before BEGIN is answered', async () => {
    const proxy = await startHoldingProxy(database.url);
    const pool = connectDatabase(proxy.url, { max: 1 });
    try {
      await pool.sql`select 1`;
      const marker = `pipelined-${randomUUID()}`;
      proxy.hold();
      const insertSent = proxy.sent(marker);
      const transaction = pipelinedTransaction(pool.sql, async (tx) => {
        await tx`insert into pipelined_rows values (${marker}) -- ${tx.unsafe(marker)}`;
      });
      // Every answer is held back, BEGIN's included: the insert arrives only if it did not wait for it.
      await insertSent;
      proxy.release();
      await transaction;
      expect(await stored(marker)).toBe(1);
    } finally {
      await pool.close();
      await proxy.close();
    }
  });

  it('rolls back when the body throws, and the pool goes on working', async () => {
    const marker = randomUUID();
    await expect(
      pipelinedTransaction(handle.sql, async (tx) => {
        await tx`insert into pipelined_rows values (${marker})`;
        throw new Error('body failed');
      }),
    ).rejects.toThrow('body failed');
    expect(await stored(marker)).toBe(0);
    await expect(handle.sql`select 1 as one`).resolves.toEqual([{ one: 1 }]);
  });

  it('keeps nothing when a statement the body did not wait for fails: the COMMIT behind it is a rollback', async () => {
    const marker = randomUUID();
    let late!: Promise<unknown>;
    await pipelinedTransaction(handle.sql, async (tx) => {
      await tx`insert into pipelined_rows values (${marker})`;
      late = tx`insert into pipelined_rows values (${'not unique'}), (${'not unique'})`.execute();
      late.catch(() => undefined);
    });
    await expect(late).rejects.toMatchObject({ code: '23505' });
    expect(await stored(marker)).toBe(0);
  });

  it('rolls back a statement that fails in the first round trip, with BEGIN', async () => {
    const marker = randomUUID();
    await expect(
      pipelinedTransaction(handle.sql, (tx) =>
        Promise.all([tx`insert into pipelined_rows values (${marker})`, tx`select 1 / 0`]),
      ),
    ).rejects.toMatchObject({ code: '22012' });
    expect(await stored(marker)).toBe(0);
    await expect(handle.sql`select 1 as one`).resolves.toEqual([{ one: 1 }]);
  });
});
