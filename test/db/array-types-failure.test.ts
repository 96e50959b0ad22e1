import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startDatabaseProxy } from '../support/database-proxy.js';

/**
 * On every new connection postgres.js first reads the server's array types (`fetch_types`). 3.4.9
 * dropped that query's promise, so when it failed (the pool ended while it ran, the server cancelled
 * it, the connection was cut) the rejection went unhandled and ended the process (upstream issues
 * 279, 1192, 1205, 1223). `patches/postgres+3.4.9.patch` handles it. These cases put a proxy between
 * the pool and the server that interferes with the first catalog query it sees.
 */
type Interference = 'hold' | 'cancel' | 'cut' | 'terminate';

const CATALOG_QUERY_MARK = Buffer.from('typcategory');

function errorResponse(severity: string, code: string, message: string): Buffer {
  const fields = Buffer.from(`S${severity}\0V${severity}\0C${code}\0M${message}\0\0`);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(4 + fields.length, 1);
  return Buffer.concat([header, fields]);
}

/** What `statement_timeout` sends: an error, then ReadyForQuery; the connection stays. */
const cancelledReply = () =>
  Buffer.concat([errorResponse('ERROR', '57014', 'canceling statement due to statement timeout'), Buffer.from([0x5a, 0, 0, 0, 5, 0x49])]);
/** What `pg_terminate_backend` sends before the server closes the connection. */
const terminatedReply = () => errorResponse('FATAL', '57P01', 'terminating connection due to administrator command');

async function startInterferingProxy(databaseUrl: string, interference: Interference) {
  let interfered = false;
  let heldSeen!: () => void;
  const held = new Promise<void>((resolve) => (heldSeen = resolve));
  const proxy = await startDatabaseProxy(databaseUrl, (client, upstream) => {
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (chunk: Buffer) => {
      if (!interfered && chunk.includes(CATALOG_QUERY_MARK)) {
        interfered = true;
        if (interference === 'hold') return heldSeen();
        if (interference === 'cancel') return void client.write(cancelledReply());
        if (interference === 'terminate') return void client.end(terminatedReply());
        return void client.destroy();
      }
      upstream.write(chunk);
    });
  });
  return { ...proxy, held, interfered: () => interfered };
}

describe('a failed array-types query on a new connection', () => {
  let database: TestDatabase;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  /** Unhandled rejections are reported after the microtask queue drains; give them a turn. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('the pool ended while the query runs: the waiting query fails, nothing is left unhandled', async () => {
    const proxy = await startInterferingProxy(database.url, 'hold');
    const sql = postgres(proxy.url, { max: 1, onnotice: () => undefined });
    try {
      const query = sql`select 1 as one`.then(
        () => 'resolved',
        (error: Error & { code?: string }) => error.code,
      );
      await proxy.held;
      await sql.end({ timeout: 0 });
      expect(await query).toBe('CONNECTION_DESTROYED');
      await settle();
      expect(unhandled).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  /**
   * With the first catalog query interfered with, `first` runs the statement that opens the
   * connection; afterwards the pool must hand out a connection that has the array types (an int[]
   * comes back as an array, not as '{1,2}'), and nothing may be left unhandled.
   */
  async function afterInterference(interference: Interference, first: (sql: postgres.Sql) => Promise<void>) {
    const proxy = await startInterferingProxy(database.url, interference);
    const sql = postgres(proxy.url, { max: 1, onnotice: () => undefined });
    try {
      await first(sql);
      expect(proxy.interfered()).toBe(true);
      const [row] = await sql<{ numbers: number[] }[]>`select array[1, 2]::int[] as numbers`;
      expect(row!.numbers).toEqual([1, 2]);
      await settle();
      expect(unhandled).toEqual([]);
    } finally {
      await sql.end({ timeout: 0 });
      await proxy.close();
    }
  }

  it('the server cancels the query: the connection is replaced and arrays still parse', () =>
    // The statement that opened the connection fails with the cancellation or runs.
    afterInterference('cancel', (sql) => sql`select 1`.then(() => undefined, () => undefined)));

  it('the server terminates the connection during the query: its error is not replayed on the next connection', () =>
    // The statement waiting for the connection runs on the next one; it used to get the old
    // connection's 57P01 as its own result.
    afterInterference('terminate', async (sql) => {
      const [first] = await sql<{ one: number }[]>`select 1 as one`;
      expect(first!.one).toBe(1);
    }));

  it('the connection is cut during the query: the pool reconnects and arrays still parse', () =>
    afterInterference('cut', (sql) => sql`select 1`.then(() => undefined, () => undefined)));
});
