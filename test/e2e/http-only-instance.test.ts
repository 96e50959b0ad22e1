import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { matchesTruth, startDeliveringSimulator } from '../support/webhook-e2e.js';
import { eventually, insertItem, only } from '../support/webhook-items.js';
import { startTestService, type RunningTestService } from '../support/webhook-service.js';

describe('WORKER_CONCURRENCY=0: an instance that serves HTTP and leaves the jobs to others', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startDeliveringSimulator>>;
  let web: RunningTestService;
  let worker: RunningTestService | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startDeliveringSimulator(44);
    web = await startTestService(database, { plaidBaseUrl: simulator.url, config: { workerConcurrency: 0 } });
  });
  afterAll(async () => {
    await worker?.stop();
    await web?.stop();
    await simulator?.close();
    await database?.drop();
  });

  it('acknowledges and queues a webhook without running it; a worker instance on the database runs it', async () => {
    const created = simulator.control.createItem({ products: [Products.Transactions], webhook: `${web.url}/webhooks/plaid`, transactionCount: 25 });
    const itemId = await insertItem(web.deps, { plaidItemId: created.itemId, accessToken: created.accessToken });
    await web.deps.syncs.request({ itemId, product: 'transactions', trigger: 'initial' });
    // An item webhook: recorded and queued by the web instance, applied by a worker.
    expect(simulator.control.newAccountsAvailable(created.itemId).webhookFired).toBe(true);
    await eventually(async () => {
      const [row] = await database.sql<{ status: string }[]>`select status from webhook_events where plaid_item_id = ${created.itemId}`;
      return row?.status === 'received' ? true : undefined;
    }, 10_000, 'the webhook recorded');

    // Its job is made by the web instance's dispatcher right after the commit that recorded it.
    const waiting = await eventually(async () => {
      const jobs = await database.sql<{ name: string }[]>`
        select name from pgboss.job where name in ('sync-transactions', 'webhook-events') and state = 'created' order by name`;
      return jobs.length === 2 ? jobs : undefined;
    }, 10_000, 'the webhook job');
    expect(waiting.map((job) => job.name)).toEqual(['sync-transactions', 'webhook-events']);
    expect(only(await database.sql<{ n: number }[]>`select count(*)::int as n from sync_runs where item_id = ${itemId}`).n).toBe(0);

    worker = await startTestService(database, { plaidBaseUrl: simulator.url, config: { workerConcurrency: 2, keyring: web.deps.config.keyring } });
    await eventually(() => matchesTruth(database.sql, simulator.control, itemId, created.itemId), 20_000, 'the worker instance syncing');
    await eventually(async () => {
      const [row] = await database.sql<{ status: string }[]>`select status from webhook_events where plaid_item_id = ${created.itemId}`;
      return row?.status === 'processed' ? true : undefined;
    }, 20_000, 'the worker instance applying the webhook');
  }, 60_000);
});
