import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRoutes } from '../../src/admin/admin-app.js';
import { linkDemoItem } from '../../src/simulator-demo/link-demo-item.js';
import type { ItemRow } from '../../src/services/item-access.js';
import { buildTestApp, recordingScheduler, testConfig } from '../support/app.js';
import { loginAsAdmin, type AdminSessionForTest } from '../support/admin.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import type { recordingWorkQueue } from '../support/webhook-queue.js';

let database: TestDatabase;
let simulator: TestSimulator;
let syncs: ReturnType<typeof recordingScheduler>;
let built: ReturnType<typeof buildTestApp>;
let session: AdminSessionForTest;
let linked: ItemRow;

beforeAll(async () => {
  database = await createTestDatabase();
  simulator = startTestSimulator({ defaultTransactionCount: 5 });
  syncs = recordingScheduler();
  built = buildTestApp(database, { syncs, config: testConfig({ webhookUrl: undefined }) });
  linked = await linkDemoItem(built.deps, { index: 0 });
  session = await loginAsAdmin(built.app);
});
afterAll(async () => {
  await simulator.close();
  await database.drop();
});

describe('simulator controls', () => {
  it('links a demo item through the exchange service and shows it in the list', async () => {
    syncs.requests.length = 0;
    const res = await built.app.request('/admin/simulator/link', { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Linked a demo item at Plaidypus Brokerage');
    expect(html.startsWith('<section id="items-results"')).toBe(true);
    const [row] = await database.sql<{ count: number }[]>`select count(*)::int as count from plaid_items`;
    expect(row!.count).toBe(2);
    // The exchange asked for the initial sync, as for any linked item.
    expect(syncs.requests).toEqual([expect.objectContaining({ product: 'investments', trigger: 'initial' })]);
    expect(html).not.toMatch(/access-sandbox-|access-simulator-/);
  });

  it('breaks the item login at the simulator and asks for a sync that will notice', async () => {
    syncs.requests.length = 0;
    const res = await built.app.request(`/admin/simulator/items/${linked.id}/break-login`, { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(200);
    expect(simulator.control.item(linked.plaidItemId).errorCode).toBe('ITEM_LOGIN_REQUIRED');
    expect(syncs.requests).toEqual([{ itemId: linked.id, product: 'transactions', trigger: 'admin' }]);
    expect(await res.text()).toContain('data-live="polling"');
  });

  it('checks the item status at Plaid (/item/get) and shows the new state', async () => {
    const res = await built.app.request(`/admin/items/${linked.id}/check-status`, { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Plaid reports ITEM_LOGIN_REQUIRED: the item is now needs_reauth.');
    expect(html).toContain('data-status="needs_reauth"');
  });

  it('repairs the login as Fix Connection does: update-mode link token, Link completed, the service told; refused when nothing is broken', async () => {
    syncs.requests.length = 0;
    const requestsBefore = simulator.requests.length;
    const res = await built.app.request(`/admin/simulator/items/${linked.id}/repair-login`, { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-status="active"');
    expect(html).toContain('completed Fix Connection');
    expect(simulator.control.item(linked.plaidItemId).errorCode).toBeNull();
    // The app's path: /link/token/create in update mode (the item's token), then /item/get and /accounts/get (completeReauth).
    const calls = simulator.requests.slice(requestsBefore).map((r) => r.endpoint);
    expect(calls).toEqual(expect.arrayContaining(['/link/token/create', '/item/get', '/accounts/get']));
    expect(simulator.requests.slice(requestsBefore).find((r) => r.endpoint === '/link/token/create')!.body.access_token).toBeTruthy();
    expect(syncs.requests).toEqual([expect.objectContaining({ itemId: linked.id, product: 'transactions', trigger: 'reauth' })]);
    expect((await database.sql`select status, error_code from plaid_items where id = ${linked.id}`)[0]).toEqual({ status: 'active', error_code: null });

    const again = await built.app.request(`/admin/simulator/items/${linked.id}/repair-login`, { method: 'POST', headers: session.headers() });
    expect(again.status).toBe(409);
    expect(again.headers.get('hx-retarget')).toBe('#flash');
    expect(await again.text()).toContain('nothing to repair');
  });

  it('advances and revokes through the simulator', async () => {
    const before = simulator.control.item(linked.plaidItemId).transactionCount;
    await built.app.request(`/admin/simulator/items/${linked.id}/advance`, { method: 'POST', headers: session.headers() });
    expect(simulator.control.item(linked.plaidItemId).transactionCount).toBeGreaterThan(before);
    await built.app.request(`/admin/simulator/items/${linked.id}/revoke`, { method: 'POST', headers: session.headers() });
    expect(simulator.control.item(linked.plaidItemId).errorCode).toBe('USER_PERMISSION_REVOKED');
  });

  it('reports a simulator refusal in the flash area', async () => {
    await database.sql`update plaid_items set plaid_item_id = 'unknown-at-simulator' where id = ${linked.id}`;
    try {
      const res = await built.app.request(`/admin/simulator/items/${linked.id}/advance`, { method: 'POST', headers: session.headers() });
      expect(res.status).toBe(502);
      expect(await res.text()).toMatch(/The simulator refused advance \(\w+\)/);
    } finally {
      await database.sql`update plaid_items set plaid_item_id = ${linked.plaidItemId} where id = ${linked.id}`;
    }
  });

  it('answers 422 for an unknown simulator action', async () => {
    const res = await built.app.request(`/admin/simulator/items/${linked.id}/explode`, { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(422);
  });
});

describe('product backfill page', () => {
  it('shows the dry run (nothing after the migration) from the shared backfill service', async () => {
    const html = await (await built.app.request('/admin/backfill', { headers: { cookie: session.cookie } })).text();
    expect(html).toContain('Dry run: legacy accounts that would change');
    expect(html).toContain('Nothing to backfill');
    const apply = await built.app.request('/admin/backfill/apply', { method: 'POST', headers: session.headers() });
    expect(apply.status).toBe(200);
    expect(await apply.text()).toContain('Updated by this apply');
  });

  it('renders counts per product and the apply result', async () => {
    const plan = { byProduct: { transactions: 7, investments: 2, liabilities: 0 }, total: 9 };
    let applied = false;
    const admin = adminRoutes(built.deps, {
      operations: {
        planProductBackfill: () => Promise.resolve(applied ? { byProduct: { transactions: 0, investments: 0, liabilities: 0 }, total: 0 } : plan),
        applyProductBackfill: () => {
          applied = true;
          return Promise.resolve(plan);
        },
      },
    });
    const page = await (await admin.request('/backfill', { headers: { cookie: session.cookie } })).text();
    expect(page).toMatch(/data-product="transactions"><td>transactions<\/td><td class="num mono">7</);
    expect(page).toContain('Set the product of 9 legacy accounts?');
    const result = await (await admin.request('/backfill/apply', { method: 'POST', headers: session.headers() })).text();
    expect(result).toMatch(/Updated by this apply[\s\S]*data-total="true">9</);
    expect(result).toContain('Nothing to backfill');
  });
});

describe('webhook log', () => {
  it('lists recent webhooks with their outcome, filters by outcome and counts rejected signatures', async () => {
    await database.sql`insert into webhook_events (webhook_type, webhook_code, plaid_item_id, item_id, body, body_sha256, status, error)
      values ('ITEM', 'ERROR', ${linked.plaidItemId}, ${linked.id}, '{}'::jsonb, 'a', 'processed', null),
             ('TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE', 'nobody', null, '{}'::jsonb, 'b', 'orphan', 'no such item')`;
    built.deps.metrics.webhookSignatureRejected.inc({ reason: 'bad_signature' }, 2);
    const html = await (await built.app.request('/admin/webhooks', { headers: { cookie: session.cookie } })).text();
    expect(html).toContain('SYNC_UPDATES_AVAILABLE');
    expect(html).toMatch(/data-rejected-signatures="true">2</);
    expect(html).toMatch(/class="badge badge-warning"[^>]*>orphan</);
    const orphans = await (await built.app.request('/admin/webhooks?outcome=orphan', { headers: { cookie: session.cookie } })).text();
    expect(orphans).toContain('no such item');
    expect(orphans).not.toContain('>ERROR<');
    const bogus = await built.app.request('/admin/webhooks?outcome=bogus', { headers: { cookie: session.cookie } });
    expect(bogus.status).toBe(200);
  });

  it('replays a recorded webhook through the queue, and refuses without a queue', async () => {
    const body = { webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: linked.plaidItemId, initial_update_complete: true, historical_update_complete: true, environment: 'sandbox' };
    const [event] = await database.sql<{ id: string }[]>`
      insert into webhook_events (webhook_type, webhook_code, plaid_item_id, item_id, body, body_sha256, status)
      values ('TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE', ${linked.plaidItemId}, ${linked.id}, ${JSON.stringify(body)}::jsonb, 'c', 'processed')
      returning id`;
    const queue = built.deps.queue as ReturnType<typeof recordingWorkQueue>;
    const res = await built.app.request(`/admin/webhooks/${event!.id}/replay`, { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(200);
    expect(queue.syncs).toContainEqual({ itemId: linked.id, product: 'transactions', trigger: 'webhook' });
    const missing = await built.app.request('/admin/webhooks/00000000-0000-4000-8000-000000000000/replay', { method: 'POST', headers: session.headers() });
    expect(missing.status).toBe(404);

    const { queue: _none, ...withoutQueue } = built.deps;
    const noQueue = adminRoutes(withoutQueue);
    const refused = await noQueue.request(`/webhooks/${event!.id}/replay`, { method: 'POST', headers: session.headers() });
    expect(refused.status).toBe(501);
  });
});
