import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createInstrumentedPlaidClient } from '../../src/plaid/instrumented-client.js';
import { createPlaidCaller } from '../../src/providers/plaid/plaid-call.js';
import { checkItemStatus, type StatusCheckDeps } from '../../src/status/status-check.js';
import { buildTestApp, recordingScheduler } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertItem } from '../support/webhook-items.js';
import { startWebhookSimulator } from '../support/webhook-simulator.js';

describe('status check (/item/get → status → syncs)', () => {
  let database: TestDatabase;
  let simulator: ReturnType<typeof startWebhookSimulator>;
  let app: ReturnType<typeof buildTestApp>;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = buildTestApp(database);
    simulator = startWebhookSimulator({ seed: 5 });
  });
  afterAll(async () => {
    await simulator.close();
    await database.drop();
  });

  async function linked(products: Products[] = [Products.Transactions]) {
    const created = simulator.control.createItem({ products });
    const id = await insertItem(app.deps, { plaidItemId: created.itemId, accessToken: created.accessToken, product: products[0] as never });
    return { ...created, id };
  }

  function check(itemId: string) {
    // Its own metrics per check; the vault (key) is the one the items were sealed with.
    const metrics = createMetrics();
    const plaid = createInstrumentedPlaidClient({ ...app.deps.config.plaid, timeoutMs: 5_000 }, metrics);
    const { deps } = buildTestApp(database, { vault: app.deps.vault, metrics, plaid });
    const syncs = recordingScheduler();
    // No backoff waits in tests: the policy's attempts, without the sleeping.
    const call = createPlaidCaller({ maxAttempts: 2, baseDelayMs: 0, rateLimitDelayMs: 0, maxDelayMs: 0 });
    const statusDeps: StatusCheckDeps = { ...deps, syncs, call };
    return { run: checkItemStatus(statusDeps, { itemId, trigger: 'schedule' }), syncs, metrics: deps.metrics };
  }

  const status = async (itemId: string) =>
    (await database.sql`select status, error_code, products, last_status_check_at is not null as checked from plaid_items where id = ${itemId}`)[0];

  it('a healthy item becomes active, keeps its products from Plaid and gets a sync per product it is entitled to', async () => {
    const item = await linked([Products.Transactions, Products.Liabilities]);
    await database.sql`update plaid_items set status = 'needs_reauth', error_code = 'ITEM_LOGIN_REQUIRED' where id = ${item.id}`;
    const { run, syncs, metrics } = check(item.id);
    // Plaid lists liabilities as initialized on the item: already billed, so the item is entitled to it.
    expect(await run).toEqual({ status: 'active', syncsRequested: 2 });
    expect(await status(item.id)).toEqual({ status: 'active', error_code: null, products: ['liabilities', 'transactions'], checked: true });
    expect(syncs.requests).toEqual([
      { itemId: item.id, product: 'liabilities', trigger: 'schedule' },
      { itemId: item.id, product: 'transactions', trigger: 'schedule' },
    ]);
    expect(await metrics.registry.getSingleMetricAsString('plaid_api_requests_total')).toContain('endpoint="/item/get",outcome="ok"} 1');
  });

  it('queues no sync on schedule for a product waiting for the user or for Plaid; a check after a webhook queues it', async () => {
    const item = await linked([Products.Transactions, Products.Liabilities]);
    await database.sql`insert into sync_state (item_id, product, state, state_code, state_since)
      values (${item.id}, 'liabilities', 'consent_required', 'ACCESS_NOT_GRANTED', now())`;
    const scheduled = check(item.id);
    expect(await scheduled.run).toEqual({ status: 'active', syncsRequested: 1 });
    expect(scheduled.syncs.requests).toEqual([{ itemId: item.id, product: 'transactions', trigger: 'schedule' }]);

    const { deps } = buildTestApp(database, { vault: app.deps.vault });
    const syncs = recordingScheduler();
    const call = createPlaidCaller({ maxAttempts: 2, baseDelayMs: 0, rateLimitDelayMs: 0, maxDelayMs: 0 });
    expect(await checkItemStatus({ ...deps, syncs, call }, { itemId: item.id, trigger: 'webhook' })).toEqual({ status: 'active', syncsRequested: 2 });
    expect(syncs.requests.map((r) => r.product)).toEqual(['liabilities', 'transactions']);
  });

  it('never asks for a product the item is not entitled to, though its accounts include one (the brokerage of a transactions item)', async () => {
    const item = await linked([Products.Transactions]);
    const { run, syncs } = check(item.id);
    expect(await run).toEqual({ status: 'active', syncsRequested: 1 });
    expect(syncs.requests).toEqual([{ itemId: item.id, product: 'transactions', trigger: 'schedule' }]);
  });

  it('ITEM_LOGIN_REQUIRED → needs_reauth, no sync', async () => {
    const item = await linked();
    simulator.control.loginRequired(item.itemId);
    const { run, syncs } = check(item.id);
    expect(await run).toEqual({ status: 'needs_reauth', errorCode: 'ITEM_LOGIN_REQUIRED' });
    expect(await status(item.id)).toMatchObject({ status: 'needs_reauth', error_code: 'ITEM_LOGIN_REQUIRED' });
    expect(syncs.requests).toEqual([]);
  });

  it.each(['ACCESS_NOT_GRANTED', 'NO_ACCOUNTS'] as const)('%s on the item (update mode fixes it) → needs_reauth, no sync', async (code) => {
    const item = await linked();
    simulator.control.itemError(item.itemId, code);
    const { run, syncs } = check(item.id);
    expect(await run).toEqual({ status: 'needs_reauth', errorCode: code });
    expect(await status(item.id)).toMatchObject({ status: 'needs_reauth', error_code: code });
    expect(syncs.requests).toEqual([]);
  });

  it('ITEM_NOT_FOUND → disconnected with soft delete; a disconnected item is not checked again', async () => {
    const item = await linked();
    simulator.control.revokeItem(item.itemId);
    const { run } = check(item.id);
    expect(await run).toEqual({ status: 'disconnected', errorCode: 'ITEM_NOT_FOUND' });
    expect(await status(item.id)).toMatchObject({ status: 'disconnected' });
    expect(await check(item.id).run).toEqual({ status: 'skipped', reason: 'item_disconnected' });
  });

  it('a permanent error other than login or revocation (INVALID_ACCESS_TOKEN) is recorded on the item, which stays active, and not retried', async () => {
    const created = simulator.control.createItem({ products: [Products.Transactions] });
    // A well-formed token the simulator never issued.
    const id = await insertItem(app.deps, { plaidItemId: created.itemId, accessToken: `access-sandbox-${created.itemId}-unknown` });
    const { run, syncs } = check(id);
    expect(await run).toEqual({ status: 'unchanged', errorCode: 'INVALID_ACCESS_TOKEN' });
    expect(await status(id)).toMatchObject({ status: 'active', error_code: 'INVALID_ACCESS_TOKEN', checked: true });
    const [row] = await database.sql<{ error_message: string }[]>`select error_message from plaid_items where id = ${id}`;
    expect(row!.error_message).toMatch(/access token/);
    expect(row!.error_message).not.toContain('access-sandbox');
    expect(syncs.requests).toEqual([]);

    // Healthy again (here: the simulator item is linked with its real token), the check clears it.
    await database.sql`delete from plaid_items where id = ${id}`;
    const healthy = await insertItem(app.deps, { plaidItemId: created.itemId, accessToken: created.accessToken });
    await database.sql`update plaid_items set error_code = 'INVALID_ACCESS_TOKEN' where id = ${healthy}`;
    expect(await check(healthy).run).toMatchObject({ status: 'active' });
    expect(await status(healthy)).toMatchObject({ status: 'active', error_code: null });
  });

  it('a transient Plaid failure throws (the job is retried) and leaves the status alone', async () => {
    const item = await linked();
    simulator.control.addFault({ endpoint: '/item/get', kind: 'internal_error', count: 2 });
    const { run, metrics } = check(item.id);
    await expect(run).rejects.toThrow(/INTERNAL_SERVER_ERROR/);
    expect(await status(item.id)).toMatchObject({ status: 'active' });
    expect(await metrics.registry.getSingleMetricAsString('plaid_api_requests_total')).toContain('outcome="INTERNAL_SERVER_ERROR"} 2');
  });
});
