import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { expectTransactionsMatchTruth, itemRow, runRows, seedItem, stagedRowCount, syncHarness, type SyncHarness } from '../support/sync-harness.js';

let database: TestDatabase;
let sim: TestSimulator;
let harness: SyncHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  sim = startTestSimulator();
  harness = syncHarness(database);
});

afterAll(async () => {
  await harness.engine.stop(0);
  await sim.close();
  await database.drop();
});

describe('transactions sync', () => {
  it('pulls several pages and stores exactly the simulator truth', async () => {
    const item = await seedItem(database.db, sim.control, harness.vault, harness.plaid, { transactionCount: 1_234 });
    const outcome = await harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'api' });
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 3, added: 1_234, modified: 0, removed: 0 }, changed: true });
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    const [run] = await runRows(database.db, item.itemId);
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'api', pages: 3, added: 1_234 });
    expect((await itemRow(database.db, item.itemId)).transactions_cursor).toBeTruthy();
    expect(await stagedRowCount(database.db)).toBe(0);
  });
});
