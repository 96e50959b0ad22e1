import { CountryCode, Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { matchesTruth, startDeliveringSimulator } from '../support/webhook-e2e.js';
import { eventually, insertItem, only } from '../support/webhook-items.js';
import { percentile, startTestService, type RunningTestService } from '../support/webhook-service.js';

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

  it('reset_login → needs_reauth; update mode and LOGIN_REPAIRED → active and synced again', async () => {
    const item = await linkedItem();
    await service.deps.plaid.sandboxItemResetLogin({ access_token: item.accessToken });
    await simulator.control.idle();
    await eventually(async () => ((await itemStatus(item.id)).status === 'needs_reauth' ? true : undefined), 10_000, 'needs_reauth');
    expect(await itemStatus(item.id)).toEqual({ status: 'needs_reauth', error_code: 'ITEM_LOGIN_REQUIRED' });

    const { data } = await service.deps.plaid.linkTokenCreate({
      user: { client_user_id: 'user-1' }, client_name: 'plaid-sync', language: 'en', country_codes: [CountryCode.Us], access_token: item.accessToken,
    });
    const completion = simulator.control.completeLink({ linkToken: data.link_token });
    expect(completion).toMatchObject({ updateMode: true, webhookFired: true });
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

  it('acknowledges 200 webhooks a second with a low latency and records every one', async () => {
    const items = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const created = simulator.control.createItem({ products: [Products.Transactions], webhook: `${service.url}/webhooks/plaid`, transactionCount: 5 });
        await insertItem(service.deps, { plaidItemId: created.itemId, accessToken: created.accessToken });
        return created;
      }),
    );
    simulator.deliveries.latenciesMs.length = 0;
    simulator.deliveries.statuses.length = 0;
    const rate = 200;
    const seconds = 5;
    const perTick = 10;
    const start = Date.now();
    let sent = 0;
    // Paced load: 10 webhooks every 50 ms; each body differs (a new consent expiry), so none is a duplicate.
    while (sent < rate * seconds) {
      for (let i = 0; i < perTick; i++, sent++) {
        const item = items[sent % items.length]!;
        simulator.control.pendingExpiration(item.itemId, new Date(start + 86_400_000 + sent * 1000).toISOString());
      }
      const due = start + ((sent / rate) * 1000);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    }
    await simulator.control.idle();
    const latencies = [...simulator.deliveries.latenciesMs].sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    process.stdout.write(`webhook acknowledgement latency at ${rate}/s over ${latencies.length} webhooks: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms\n`);
    expect(simulator.deliveries.statuses.every((status) => status === 200)).toBe(true);
    // A delivery the simulator gave up on after its 10 s timeout is retried; the retry is a duplicate.
    expect(latencies.length).toBeGreaterThanOrEqual(rate * seconds);
    const { count } = only(await database.sql<{ count: number }[]>`
      select count(*)::int as count from webhook_events where webhook_code = 'PENDING_EXPIRATION' and status in ('received', 'processed')`);
    expect(count).toBe(rate * seconds);
    // Every recorded item webhook is applied by the workers.
    await eventually(async () => {
      const [row] = await database.sql<{ open: number }[]>`select count(*)::int as open from webhook_events where status = 'received'`;
      return row!.open === 0 ? true : undefined;
    }, 30_000, 'item webhooks applied');
  }, 60_000);
});
