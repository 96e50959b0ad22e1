import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRoutes } from '../../src/admin/admin-app.js';
import { buildTestApp, recordingScheduler, testConfig } from '../support/app.js';
import { insertAccount, insertItem, insertSyncRun, loginAsAdmin, type AdminSessionForTest, type SeededItem } from '../support/admin.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import type { recordingWorkQueue } from '../support/webhook-queue.js';

let database: TestDatabase;
let item: SeededItem;
let disconnected: SeededItem;
let syncs: ReturnType<typeof recordingScheduler>;
let built: ReturnType<typeof buildTestApp>;
let session: AdminSessionForTest;

beforeAll(async () => {
  database = await createTestDatabase();
  syncs = recordingScheduler();
  built = buildTestApp(database, { syncs });
  const { sql } = database;
  item = await insertItem(sql, built.deps.vault, { institutionName: 'Detail Bank', products: ['transactions', 'investments'] });
  disconnected = await insertItem(sql, built.deps.vault, { institutionName: 'Gone Bank', status: 'disconnected' });
  const old = await insertAccount(sql, item, { name: 'Old Checking', status: 'replaced', balance: '12.34' });
  const fresh = await insertAccount(sql, item, { name: 'New Checking', balance: '98765.4321' });
  await sql`update plaid_accounts set replaced_by = ${fresh} where id = ${old}`;
  await insertAccount(sql, item, { name: 'Brokerage', product: 'investments', balance: '5000' });
  await insertSyncRun(sql, item.id, { trigger: 'admin', added: 42, startedAt: new Date('2024-05-05T10:00:00Z') });
  await insertSyncRun(sql, item.id, { status: 'failed', errorCode: 'INSTITUTION_DOWN', startedAt: new Date('2024-05-06T10:00:00Z') });
  await sql`insert into webhook_events (webhook_type, webhook_code, plaid_item_id, item_id, body, body_sha256, status)
    values ('TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE', ${item.plaidItemId}, ${item.id}, '{}'::jsonb, 'x', 'processed')`;
  session = await loginAsAdmin(built.app);
});
afterAll(async () => {
  await database.drop();
});

describe('item detail page', () => {
  it('shows accounts with product, status, balances and replaced_by, recent runs and webhooks', async () => {
    const res = await built.app.request(`/admin/items/${item.id}`, { headers: { cookie: session.cookie } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Detail Bank');
    expect(html).toContain('98765.4321 USD');
    expect(html).toMatch(/data-account-status="replaced"[\s\S]*?New Checking<\/td>/);
    expect(html).toContain('INSTITUTION_DOWN');
    expect(html).toMatch(/<td>admin<\/td>[\s\S]*?1\.5 s[\s\S]*?>42</);
    expect(html).toContain('SYNC_UPDATES_AVAILABLE');
    expect(html).toMatch(/hx-post="\/admin\/items\/[^"]+\/sync\/transactions"/);
    expect(html).toMatch(/hx-post="\/admin\/items\/[^"]+\/backfill\/investments"/);
    // Simulator controls appear in simulator mode only.
    expect(html).toContain('data-sim-action="break-login"');
  });

  it('answers 404 with an HTML page for an unknown or malformed item id', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await built.app.request(`/admin/items/${id}`, { headers: { cookie: session.cookie } });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('item not found');
    }
  });
});

describe('item actions', () => {
  it('re-sync of one product asks the scheduler and answers with the live fragment polling for it', async () => {
    syncs.requests.length = 0;
    const res = await built.app.request(`/admin/items/${item.id}/sync/transactions`, { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(200);
    expect(syncs.requests).toEqual([{ itemId: item.id, product: 'transactions', trigger: 'admin' }]);
    const html = await res.text();
    expect(html).toMatch(/id="item-live"[^>]*data-live="polling"[^>]*hx-get="\/admin\/items\/[^"?]+\/live\?since=\d+"/);
    expect(html).toContain('queued…');
    expect(html).toContain('Re-sync of transactions requested.');
  });

  it('backfill re-pulls one product from an empty cursor', async () => {
    syncs.requests.length = 0;
    const res = await built.app.request(`/admin/items/${item.id}/backfill/investments`, { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(200);
    expect(syncs.requests).toEqual([{ itemId: item.id, product: 'investments', trigger: 'backfill', fromScratch: true }]);
  });

  it('re-sync from the list asks for every product of the item and returns the row', async () => {
    syncs.requests.length = 0;
    const res = await built.app.request(`/admin/items/${item.id}/resync`, { method: 'POST', headers: session.headers() });
    expect(syncs.requests.map((r) => r.product)).toEqual(['transactions', 'investments']);
    const html = await res.text();
    expect(html).toMatch(new RegExp(`^<tr id="item-${item.id}"[^>]*data-live="polling"`));
  });

  it('stops polling once a run newer than the action has finished', async () => {
    const since = Date.now() - 1000;
    const polling = await (await built.app.request(`/admin/items/${item.id}/row?since=${Date.now() + 60_000}`, { headers: session.headers() })).text();
    expect(polling).toContain('data-live="polling"');
    await insertSyncRun(database.sql, item.id, { startedAt: new Date() });
    const done = await (await built.app.request(`/admin/items/${item.id}/live?since=${since}`, { headers: session.headers() })).text();
    expect(done).toContain('data-live="idle"');
    expect(done).not.toContain('hx-trigger');
  });

  it('refuses actions on a disconnected item with a message in the flash area', async () => {
    syncs.requests.length = 0;
    const res = await built.app.request(`/admin/items/${disconnected.id}/sync/transactions`, { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(409);
    expect(res.headers.get('hx-retarget')).toBe('#flash');
    expect(await res.text()).toContain('A disconnected item is never synced');
    expect(syncs.requests).toHaveLength(0);
  });

  it('answers 422 for an unknown product and 404 for an unknown item', async () => {
    const bad = await built.app.request(`/admin/items/${item.id}/sync/crypto`, { method: 'POST', headers: session.headers() });
    expect(bad.status).toBe(422);
    const missing = await built.app.request('/admin/items/00000000-0000-4000-8000-000000000000/sync/transactions', { method: 'POST', headers: session.headers() });
    expect(missing.status).toBe(404);
  });

  it('reports a scheduler failure without leaking its message', async () => {
    // The same deployment (same keys and password): a login on it must not end the other app's sessions.
    const failing = buildTestApp(database, { config: built.deps.config, syncs: { request: () => Promise.reject(new Error('connection to 10.0.0.5 refused')) } });
    const own = await loginAsAdmin(failing.app);
    const res = await failing.app.request(`/admin/items/${item.id}/sync/transactions`, { method: 'POST', headers: own.headers() });
    expect(res.status).toBe(500);
    const html = await res.text();
    expect(html).not.toContain('10.0.0.5');
    expect(failing.logs.some((line) => line.msg === 'admin_error')).toBe(true);
  });

  it('answers 501 for operations the build does not provide, and disables their buttons', async () => {
    const bare = adminRoutes(built.deps, { operations: {} });
    expect((await bare.request('/items/refresh-all', { method: 'POST', headers: session.headers() })).status).toBe(501);
    expect((await bare.request(`/items/${item.id}/check-status`, { method: 'POST', headers: session.headers() })).status).toBe(501);
    expect((await bare.request('/backfill/apply', { method: 'POST', headers: session.headers() })).status).toBe(501);
    const detail = await (await bare.request(`/items/${item.id}`, { headers: { cookie: session.cookie } })).text();
    expect(detail).toMatch(/data-action="check-status"[^>]*disabled/);
    const list = await (await bare.request('/items', { headers: { cookie: session.cookie } })).text();
    expect(list).toMatch(/hx-post="\/admin\/items\/refresh-all"[^>]*disabled/);
  });

  it('refresh-all queues status checks through the work queue', async () => {
    const res = await built.app.request('/admin/items/refresh-all', { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Status check and sync queued for 0 items');
    expect((built.deps.queue as ReturnType<typeof recordingWorkQueue>).statusChecks).toEqual([{ trigger: 'refresh_all' }]);
  });
});

describe('outside simulator mode', () => {
  it('hides the simulator controls and refuses their routes', async () => {
    const sandbox = buildTestApp(database, { config: testConfig({ plaid: { ...testConfig().plaid, env: 'sandbox' } }) });
    const own = await loginAsAdmin(sandbox.app);
    const html = await (await sandbox.app.request(`/admin/items/${item.id}`, { headers: { cookie: own.cookie } })).text();
    expect(html).not.toContain('data-sim-action');
    expect(html).not.toContain('Link demo item');
    for (const path of ['/admin/simulator/link', `/admin/simulator/items/${item.id}/break-login`]) {
      const res = await sandbox.app.request(path, { method: 'POST', headers: own.headers() });
      expect(res.status, path).toBe(403);
    }
  });
});
