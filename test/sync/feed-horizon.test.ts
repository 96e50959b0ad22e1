import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentFeedPosition, decodeFeedCursor, readChanges } from '../../src/services/change-feed.js';
import { feedHorizon, horizonOf, horizonQueryOf } from '../../src/services/feed-horizon.js';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
let elsewhere: Awaited<ReturnType<typeof createEmptyDatabase>>;

beforeAll(async () => {
  [database, elsewhere] = await Promise.all([createTestDatabase(), createEmptyDatabase()]);
});

afterAll(async () => {
  await database.drop();
  await elsewhere.drop();
});

/** A transaction that has taken its id and stays open until released: a long writer. */
async function openWriter(url: string): Promise<{ xid: string; release(): Promise<void> }> {
  const client = postgres(url, { max: 1, onnotice: () => undefined });
  const reserved = await client.reserve();
  await reserved.unsafe('begin');
  const [row] = await reserved.unsafe<{ xid: string }[]>('select pg_current_xact_id()::text as xid');
  return {
    xid: row!.xid,
    async release() {
      await reserved.unsafe('rollback');
      reserved.release();
      await client.end();
    },
  };
}

async function recordChange(userId: string): Promise<void> {
  await database.sql`insert into change_feed (user_id, kind, entity_id) values (${userId}, 'transaction.added', ${randomUUID()})`;
}

describe('the change feed horizon', () => {
  it('counts running ids of this database and every id that may be newer than the list, and ignores older foreign ones', () => {
    const before = { xmax: '100', running: ['90'] };
    expect(horizonOf(before, { xmax: '120', xip: ['80', '95'] })).toBe('120');
    expect(horizonOf(before, { xmax: '120', xip: ['80', '90', '95'] })).toBe('90');
    expect(horizonOf(before, { xmax: '120', xip: ['80', '105'] })).toBe('105');
    expect(horizonOf({ xmax: '100', running: [] }, { xmax: '100', xip: [] })).toBe('100');
    // backend_xid is 32 bits; the snapshot lists 64-bit ids of the same transactions.
    const epoch = (1n << 32n) + 90n;
    expect(horizonOf({ xmax: String(epoch + 10n), running: ['90'] }, { xmax: String(epoch + 20n), xip: [String(epoch)] })).toBe(String(epoch));
  });

  it('is not held back by a transaction left open in another database of the server', async () => {
    const userId = randomUUID();
    const foreign = await openWriter(elsewhere.url);
    try {
      await recordChange(userId);
      const page = await readChanges(database.db, { userId, limit: 10 });
      expect(page.changes).toHaveLength(1);
      expect(BigInt(await feedHorizon(horizonQueryOf.drizzle(database.db)))).toBeGreaterThan(BigInt(foreign.xid));
      expect(BigInt(decodeFeedCursor(await currentFeedPosition(database.db)).xid)).toBeGreaterThan(BigInt(foreign.xid));
    } finally {
      await foreign.release();
    }
  });

  it('holds back changes of later transactions while an earlier one of this database runs, and serves them once it ends', async () => {
    const userId = randomUUID();
    const early = await openWriter(database.url);
    await recordChange(userId);
    expect((await readChanges(database.db, { userId, limit: 10 })).changes).toHaveLength(0);
    expect(decodeFeedCursor(await currentFeedPosition(database.db)).xid).toBe(early.xid);
    await early.release();
    expect((await readChanges(database.db, { userId, limit: 10 })).changes).toHaveLength(1);
  });
});
