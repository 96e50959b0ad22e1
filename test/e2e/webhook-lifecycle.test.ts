import { CountryCode, Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/api-client.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { matchesTruth, startDeliveringSimulator } from '../support/webhook-e2e.js';
import { eventually, insertItem, only } from '../support/webhook-items.js';
import { startTestService, type RunningTestService } from '../support/webhook-service.js';

describe('webhooks end to end: simulator server → /webhooks/plaid → queue → sync', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startDeliveringSimulator>>;
  let service: RunningTestService;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startDeliveringSimulator();
    service = await startTestService(database, { plaidBaseUrl: simulator.url, config: { workerConcurrency: 4 } });
  });
  afterAll(async () => {
    await service?.stop();
    await simulator?.close();
    await database?.drop();
  });

  async function linkedItem(transactionCount = 40) {
    const created = simulator.control.createItem({ products: [Products.Transactions], webhook: `${service.url}/webhooks/plaid`, transactionCount });
    const itemId = await insertItem(service.deps, { plaidItemId: created.itemId, accessToken: created.accessToken, product: 'transactions' });
    await service.deps.syncs.request({ itemId, product: 'transactions', trigger: 'initial' });
    await eventually(() => matchesTruth(database.sql, simulator.control, itemId, created.itemId), 20_000, 'initial sync');
    return { ...created, id: itemId };
  }

  async function itemStatus(itemId: string) {
    const [row] = await database.sql<{ status: string; error_code: string | null }[]>`select status, error_code from plaid_items where id = ${itemId}`;
    return row!;
  }

  it('advance → signed webhook → queue → sync: the database equals the simulator truth', async () => {
    const item = await linkedItem();
    const advanced = simulator.control.advance(item.itemId, { added: 12, modified: 3, removed: 2, posted: 2 });
    expect(advanced.webhookFired).toBe(true);
    await simulator.control.idle();
    await eventually(() => matchesTruth(database.sql, simulator.control, item.id, item.itemId), 20_000, 'webhook sync');
    const runs = await database.sql`select trigger, status from sync_runs where item_id = ${item.id} order by started_at`;
    expect(runs).toContainEqual({ trigger: 'webhook', status: 'succeeded' });
    const [event] = await database.sql`select status, item_id from webhook_events where plaid_item_id = ${item.itemId}`;
    expect(event).toEqual({ status: 'processed', item_id: item.id });
  });

  async function brokenLogin() {
    const item = await linkedItem();
    await service.deps.plaid.sandboxItemResetLogin({ access_token: item.accessToken });
    await simulator.control.idle();
    await eventually(async () => ((await itemStatus(item.id)).status === 'needs_reauth' ? true : undefined), 10_000, 'needs_reauth');
    expect(await itemStatus(item.id)).toEqual({ status: 'needs_reauth', error_code: 'ITEM_LOGIN_REQUIRED' });
    return item;
  }

  it('reset_login → needs_reauth; update mode in the app and reauth-complete → active and synced again, with no LOGIN_REPAIRED', async () => {
    const item = await brokenLogin();
    const [owner] = await database.sql<{ user_id: string }[]>`select user_id from plaid_items where id = ${item.id}`;
    const { data } = await service.deps.plaid.linkTokenCreate({
      user: { client_user_id: owner!.user_id }, client_name: 'plaid-sync', language: 'en', country_codes: [CountryCode.Us], access_token: item.accessToken,
    });
    // Plaid sends LOGIN_REPAIRED only for an Item repaired elsewhere: the app's own Link flow tells the service.
    expect(simulator.control.completeLink({ linkToken: data.link_token })).toMatchObject({ updateMode: true, webhookFired: false });
    const api = apiClient({ request: (path, init) => fetch(`${service.url}${path}`, init) }, owner!.user_id);
    const repaired = await api.post(`/items/${item.id}/reauth-complete`);
    expect(repaired.status, JSON.stringify(repaired.body)).toBe(200);
    expect((await itemStatus(item.id)).status).toBe('active');
    simulator.control.advance(item.itemId, { added: 4 });
    await simulator.control.idle();
    await eventually(() => matchesTruth(database.sql, simulator.control, item.id, item.itemId), 20_000, 'sync after repair');
  });

  it('reset_login → needs_reauth; repaired outside the app → LOGIN_REPAIRED → active and synced again', async () => {
    const item = await brokenLogin();
    expect(simulator.control.repairLogin(item.itemId)).toEqual({ webhookFired: true });
    simulator.control.advance(item.itemId, { added: 4 });
    await simulator.control.idle();
    await eventually(async () => ((await itemStatus(item.id)).status === 'active' ? true : undefined), 10_000, 'active');
    await eventually(() => matchesTruth(database.sql, simulator.control, item.id, item.itemId), 20_000, 'sync after repair');
  });

  it('USER_PERMISSION_REVOKED → disconnected with every account inactive', async () => {
    const item = await linkedItem();
    simulator.control.revokePermission(item.itemId);
    await simulator.control.idle();
    await eventually(async () => ((await itemStatus(item.id)).status === 'disconnected' ? true : undefined), 10_000, 'disconnected');
    const accounts = await database.sql<{ status: string }[]>`select status from plaid_accounts where item_id = ${item.id}`;
    expect(accounts.length).toBeGreaterThan(0);
    expect(accounts.every((account) => account.status === 'inactive')).toBe(true);
    // History stays, read-only.
    const { count } = only(await database.sql<{ count: number }[]>`select count(*)::int as count from plaid_transactions where item_id = ${item.id}`);
    expect(count).toBeGreaterThan(0);
  });
});
