import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaidApi, TransactionsSyncRequest, TransactionsSyncResponse } from 'plaid';
import type { PlaidRequestConfig } from '../../src/providers/plaid/plaid-call.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { expectTransactionsMatchTruth, itemRow, runRows, seedItem, stagedRowCount, syncHarness, type SyncHarness } from '../support/sync-harness.js';

let database: TestDatabase;
let sim: TestSimulator;
let harness: SyncHarness;
/** `/transactions/sync` calls begun so far by the engine of `harness`. */
let calls = 0;
/** Rewrites a page before the engine sees it (set per test); `call` counts from 1. */
let rewrite: ((page: TransactionsSyncResponse, call: number) => void) | null = null;
/** Called after each fetched page (set per test). */
let onPage: ((page: number) => void) | null = null;

/** The real client, with `/transactions/sync` answers counted and, for a test, altered. */
function observedPlaid(plaid: PlaidApi): PlaidApi {
  return new Proxy(plaid, {
    get(target, property, receiver) {
      if (property !== 'transactionsSync') return Reflect.get(target, property, receiver) as unknown;
      return async (request: TransactionsSyncRequest, config?: PlaidRequestConfig) => {
        const call = ++calls;
        const response = await target.transactionsSync(request, config);
        rewrite?.(response.data, call);
        return response;
      };
    },
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  sim = startTestSimulator();
  const plain = syncHarness(database);
  harness = syncHarness(database, { plaid: observedPlaid(plain.plaid), vault: plain.vault, hooks: { afterPage: ({ page }) => onPage?.(page) } });
  await plain.engine.stop(0);
});

afterAll(async () => {
  await harness.engine.stop(0);
  await sim.close();
  await database.drop();
});

const seed = (transactionCount: number) => seedItem(database.db, sim.control, harness.vault, harness.plaid, { transactionCount });

async function storedCount(itemId: string): Promise<number> {
  const rows = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from plaid_transactions where item_id = ${itemId}`);
  return rows[0]!.n;
}

/** Runs a sync of the item with `rewriteWith` altering the pages the simulator serves; the run must fail. */
async function runFailingWith(itemId: string, rewriteWith: NonNullable<typeof rewrite>): Promise<void> {
  calls = 0;
  rewrite = rewriteWith;
  try {
    const outcome = await harness.engine.run({ itemId, product: 'transactions', trigger: 'api' });
    expect(outcome).toMatchObject({ status: 'failed' });
  } finally {
    rewrite = null;
  }
}

describe('transactions fetch pipeline', () => {
  it('asks for the next page before the current one is staged and reported', async () => {
    const item = await seed(2_600);
    calls = 0;
    const begunWhenReported = new Map<number, number>();
    onPage = (page) => begunWhenReported.set(page, calls);
    try {
      const outcome = await harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'api' });
      expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 6, added: 2_600 } });
    } finally {
      onPage = null;
    }
    // The first page decides the path before anything is staged; from the second on, the call
    // for the next page has begun by the time a page is reported, the last page excepted.
    expect([...begunWhenReported]).toEqual([[1, 1], [2, 3], [3, 4], [4, 5], [5, 6], [6, 6]]);
    await expectTransactionsMatchTruth(database.db, sim.control, item);
  });

  it('fails and rolls back the whole run when a chunk that was ended fails to commit, and the next run ends exact', async () => {
    const item = await seed(12_000);
    // The last page of the first chunk (10,000 rows = 20 pages) holds a row the staging table refuses.
    await runFailingWith(item.itemId, (page, call) => {
      if (call === 20) (page.added[page.added.length - 1] as { account_id: string | null }).account_id = null;
    });
    expect(await storedCount(item.itemId)).toBe(0);
    expect(await itemRow(database.db, item.itemId)).toMatchObject({ transactions_cursor: null });
    expect((await runRows(database.db, item.itemId))[0]).toMatchObject({ status: 'failed' });
    expect(await stagedRowCount(database.db)).toBe(0);

    const again = await harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'api' });
    expect(again).toMatchObject({ status: 'succeeded', counts: { added: 12_000 } });
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    expect(await stagedRowCount(database.db)).toBe(0);
  });

  it('a page that claims more without a cursor fails the run after earlier chunks were merged, writing nothing', async () => {
    const item = await seed(12_000);
    await runFailingWith(item.itemId, (page, call) => {
      // Past the first merged chunk: a page that claims more without a cursor.
      if (call === 22) page.next_cursor = '';
    });
    expect(await storedCount(item.itemId)).toBe(0);
    expect(await stagedRowCount(database.db)).toBe(0);
  });

  it('indexes staged rows by run and sequence: the range each chunk\'s merge reads', async () => {
    const indexes = await database.db.execute<{ indexdef: string }>(sql`
      select indexdef from pg_indexes where tablename = 'sync_staged_transactions'`);
    expect(indexes.map((i) => i.indexdef.replace(/^.* USING /, ''))).toEqual(['btree (run_id, seq)']);
  });

  it('keeps staged rows out of the write-ahead log: they are scratch rows of runs in progress', async () => {
    const [table] = await database.db.execute<{ relpersistence: string }>(sql`
      select relpersistence from pg_class where relname = 'sync_staged_transactions'`);
    expect(table).toEqual({ relpersistence: 'u' });
  });
});
