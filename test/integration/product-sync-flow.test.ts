import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessScheduler, type RunningScheduler } from '../../src/sync/in-process-scheduler.js';
import { apiClient, linkThroughApi } from '../support/api-client.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { expectTransactionsMatchTruth, syncHarness, type SyncHarness } from '../support/sync-harness.js';

let database: TestDatabase;
let sim: TestSimulator;
let harness: SyncHarness;
let syncs: RunningScheduler;

beforeAll(async () => {
  database = await createTestDatabase();
  sim = startTestSimulator();
  harness = syncHarness(database);
  syncs = createInProcessScheduler({ engine: harness.engine, logger: harness.logger });
});

afterAll(async () => {
  await syncs.stop(0);
  await sim.close();
  await database.drop();
});

describe('product sync flow', () => {
  it('link an account → product enforced → POST /api/products/transactions/transactions/sync → transactions stored', async () => {
    const { app } = buildTestApp(database, { syncs, vault: harness.vault });
    const api = apiClient(app);

    const linked = await linkThroughApi(api, sim.control, { product: 'transactions' });
    expect(linked.status).toBe(201);
    const accounts: { id: string; product: string; type: string }[] = linked.body.item.accounts;
    expect(accounts.length).toBeGreaterThan(0);
    expect(accounts.every((a) => ['transactions', 'investments', 'liabilities'].includes(a.product))).toBe(true);
    const checking = accounts.find((a) => a.product === 'transactions' && a.type === 'depository')!;

    const other = accounts.find((a) => a.product !== 'transactions');
    if (other) expect((await api.post(`/products/transactions/transactions/sync`, { account_id: other.id })).status).toBe(422);

    const synced = await api.post('/products/transactions/transactions/sync', { account_id: checking.id });
    expect(synced.status).toBe(200);
    expect(synced.body.errors).toEqual([]);
    await harness.engine.idle();

    const item = { itemId: linked.body.item.id as string, plaidItemId: linked.plaidItemId, userId: api.userId, accounts: [] };
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    const page = await api.get(`/accounts/${checking.id}/transactions?limit=500`);
    expect(page.status).toBe(200);
    expect(page.body.transactions.length).toBeGreaterThan(0);
  });
});
