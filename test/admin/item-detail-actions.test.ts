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
    // Formatted from the stored decimal text: grouped, at least the currency's minor units, no digit lost.
    expect(html).toContain('98,765.4321 USD');
    expect(html).toContain('5,000.00 USD');
    expect(html).toContain('12.34 USD');
    expect(html).toMatch(/data-account-status="replaced"[\s\S]*?New Checking<\/td>/);
    expect(html).toContain('INSTITUTION_DOWN');
    expect(html).toMatch(/<td>admin<\/td>[\s\S]*?1\.5 s[\s\S]*?>42</);
    expect(html).toContain('SYNC_UPDATES_AVAILABLE');
    expect(html).toMatch(/hx-post="\/admin\/items\/[^"]+\/sync\/transactions"/);
    expect(html).toMatch(/hx-post="\/admin\/items\/[^"]+\/backfill\/investments"/);
    // Simulator controls appear in simulator mode only.
    expect(html).toContain('data-sim-action="break-login"');
  });

  it('lists products that wait (no accounts, consent, readiness) or that Plaid refused, with the Plaid code', async () => {
    const waiting = await insertItem(database.sql, built.deps.vault, { institutionName: 'Waiting Bank', products: ['transactions', 'investments', 'liabilities'] });
    await database.sql`update plaid_items set unsupported_products = '{liabilities}' where id = ${waiting.id}`;
    await database.sql`insert into sync_state (item_id, product, state, state_code, state_since)
      values (${waiting.id}, 'investments', 'consent_required', 'ADDITIONAL_CONSENT_REQUIRED', now())`;
    const html = await (await built.app.request(`/admin/items/${waiting.id}`, { headers: { cookie: session.cookie } })).text();
    expect(html).toMatch(/data-product="investments" data-product-state="consent_required"[^>]*>[\s\S]*?ADDITIONAL_CONSENT_REQUIRED/);
    expect(html).toMatch(/data-product="liabilities" data-product-state="unsupported"[^>]*>[\s\S]*?PRODUCTS_NOT_SUPPORTED/);
    // Waiting is not broken: the item shows no error badge.
    expect(html).not.toContain('data-broken="true"');
    const plain = await (await built.app.request(`/admin/items/${item.id}`, { headers: { cookie: session.cookie } })).text();
    expect(plain).not.toContain('data-product-state=');
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

describe('product entitlement on the item page', () => {
  it('offers Re-sync only for entitled products, and Enable (may be billed) for a product the item only has accounts of', async () => {
    const linkedForTransactions = await insertItem(database.sql, built.deps.vault, { institutionName: 'Entitled Bank', products: ['transactions'] });
    await insertAccount(database.sql, linkedForTransactions, { name: 'Checking' });
    await insertAccount(database.sql, linkedForTransactions, { name: 'Brokerage', product: 'investments' });
    const html = await (await built.app.request(`/admin/items/${linkedForTransactions.id}`, { headers: { cookie: session.cookie } })).text();
    expect(html).toMatch(/hx-post="\/admin\/items\/[^"]+\/sync\/transactions"/);
    expect(html).not.toMatch(/hx-post="\/admin\/items\/[^"]+\/sync\/investments"/);
    expect(html).toMatch(/data-action="enable-product" data-product="investments"/);
    expect(html).toContain('bills it from then on');

    // Re-sync of the whole item and a per-product request for a product it is not entitled to ask for nothing else.
    syncs.requests.length = 0;
    expect((await built.app.request(`/admin/items/${linkedForTransactions.id}/resync`, { method: 'POST', headers: session.headers() })).status).toBe(200);
    expect((await built.app.request(`/admin/items/${linkedForTransactions.id}/sync/investments`, { method: 'POST', headers: session.headers() })).status).toBe(200);
    expect(syncs.requests).toEqual([{ itemId: linkedForTransactions.id, product: 'transactions', trigger: 'admin' }]);

    // Enabling a product already entitled calls nothing and requests nothing.
    const again = await built.app.request(`/admin/items/${linkedForTransactions.id}/products/transactions/enable`, { method: 'POST', headers: session.headers() });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('transactions was already enabled.');
    expect(syncs.requests).toHaveLength(1);
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
    // Idle, it only asks every few seconds whether anything changed.
    expect(done).not.toContain('every 1s');
    expect(done).toMatch(/hx-get="\/admin\/items\/[^"?]+\/live\?v=[\w-]+" hx-trigger="every 5s"/);
  });

  it('refuses actions on a disconnected item with a message in the flash area', async () => {
    syncs.requests.length = 0;
    const res = await built.app.request(`/admin/items/${disconnected.id}/sync/transactions`, { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(409);
    expect(res.headers.get('hx-retarget')).toBe('#flash');
    const html = await res.text();
    expect(html).toContain('A disconnected item is never synced');
    // The answer itself replaces #flash (admin.js lets htmx swap it); out of band it would swap nothing.
    expect(html).toMatch(/^<div id="flash" class="flash-area" aria-live="polite"><p class="flash flash-error" role="alert">/);
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
    // The list refreshes at once (its trigger includes this event), not only at its next idle poll.
    expect(res.headers.get('hx-trigger')).toBe('items-changed');
    expect((built.deps.queue as ReturnType<typeof recordingWorkQueue>).statusChecks).toEqual([{ trigger: 'refresh_all' }]);
  });
});

describe('outside simulator mode', () => {
  it('hides the simulator controls and refuses their routes', async () => {
    // The same key as the other app: a login under another password fingerprint ends every other session.
    const sandbox = buildTestApp(database, { config: testConfig({ keyring: built.deps.config.keyring, plaid: { ...testConfig().plaid, env: 'sandbox' } }) });
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

describe('item data and live updates', () => {
  it('shows the newest transactions, holdings and liabilities of the item, money in its currency\'s minor units', async () => {
    const { sql } = database;
    const shop = await insertItem(sql, built.deps.vault, { institutionName: 'Data Bank', products: ['transactions', 'investments', 'liabilities'] });
    const checking = await insertAccount(sql, shop, { name: 'Yen Checking', balance: '1200' });
    await sql`update plaid_accounts set iso_currency_code = 'JPY' where id = ${checking}`;
    const usd = await insertAccount(sql, shop, { name: 'Dollar Checking', balance: '861.4' });
    for (let day = 1; day <= 30; day++) {
      await sql`insert into plaid_transactions (plaid_transaction_id, account_id, item_id, amount, iso_currency_code, date, name)
        values (${`tx-${shop.id}-${day}`}, ${usd}, ${shop.id}, ${`${day}.5`}, 'USD', ${`2024-06-${String(day).padStart(2, '0')}`}, ${`Shop day ${day}`})`;
    }
    await sql`insert into plaid_transactions (plaid_transaction_id, account_id, item_id, amount, iso_currency_code, date, name)
      values (${`tx-${shop.id}-yen`}, ${checking}, ${shop.id}, '1500', 'JPY', '2024-06-15', 'Ramen')`;
    const brokerage = await insertAccount(sql, shop, { name: 'Brokerage', product: 'investments', balance: '100' });
    await sql`insert into securities (security_id, name, ticker_symbol) values (${`sec-${shop.id}`}, 'Platypus Index Fund', 'PLAT')`;
    await sql`insert into investment_holdings (account_id, security_id, item_id, quantity, institution_price, institution_value, iso_currency_code)
      values (${brokerage}, ${`sec-${shop.id}`}, ${shop.id}, '12.5000', '80.1', '1001.25', 'USD')`;
    const card = await insertAccount(sql, shop, { name: 'Credit Card', product: 'liabilities', balance: '410.7' });
    await sql`insert into liabilities (account_id, item_id, kind, detail)
      values (${card}, ${shop.id}, 'credit', ${JSON.stringify({ minimum_payment_amount: 25, next_payment_due_date: '2024-07-01' })}::jsonb)`;

    const html = await (await built.app.request(`/admin/items/${shop.id}`, { headers: { cookie: session.cookie } })).text();
    const transactions = html.slice(html.indexOf('id="item-transactions"'), html.indexOf('id="item-holdings"'));
    expect(transactions).toContain('Recent transactions (latest 25)');
    expect(transactions.match(/<tr data-pending/g)).toHaveLength(25);
    expect(transactions).toMatch(/2024-06-30[\s\S]*Shop day 30[\s\S]*30.50 USD/);
    expect(transactions).not.toContain('Shop day 5<');
    expect(transactions).toContain('1,500 JPY');
    expect(html).toContain('1,200 JPY');
    expect(html).toContain('861.40 USD');
    expect(html).toMatch(/Platypus Index Fund[\s\S]*PLAT[\s\S]*Brokerage[\s\S]*12.5<[\s\S]*1,001.25 USD/);
    expect(html).toMatch(/Credit Card<\/td><td>credit<\/td><td class="num mono">410.70 USD<\/td><td class="num mono">25.00 USD<\/td><td class="mono">2024-07-01/);
  });

  it('answers an idle poll with 204 while nothing changed, and with the new state (buttons disabled) once the item is disconnected', async () => {
    const { sql } = database;
    const live = await insertItem(sql, built.deps.vault, { institutionName: 'Live Bank' });
    const first = await (await built.app.request(`/admin/items/${live.id}/live`, { headers: session.headers() })).text();
    const pollUrl = /hx-get="([^"]+\?v=[^"]+)"/.exec(first)![1]!;
    expect((await built.app.request(pollUrl, { headers: session.headers() })).status).toBe(204);
    expect(first).not.toMatch(/data-action="resync"[^>]*disabled/);

    await sql`update plaid_items set status = 'disconnected', error_code = 'USER_PERMISSION_REVOKED' where id = ${live.id}`;
    const changed = await built.app.request(pollUrl, { headers: session.headers() });
    expect(changed.status).toBe(200);
    const html = await changed.text();
    expect(html).toContain('data-status="disconnected"');
    for (const action of ['resync', 'backfill', 'check-status']) expect(html).toMatch(new RegExp(`data-action="${action}"[^>]*disabled`));
    for (const action of ['advance', 'break-login', 'repair-login', 'revoke']) expect(html).toMatch(new RegExp(`data-sim-action="${action}"[^>]*disabled`));
  });

  it('polls the items list for changes: 204 while unchanged, the new list once an item moved', async () => {
    const { sql } = database;
    const page = await (await built.app.request('/admin/items?q=Poll%20Bank', { headers: { cookie: session.cookie } })).text();
    expect(page).toMatch(/id="items-results"[^>]*hx-trigger="every 5s, items-changed from:body"/);
    const pollUrl = /id="items-results"[^>]*hx-get="([^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&');
    expect(pollUrl).toMatch(/^\/admin\/items\?q=Poll\+Bank&v=/);
    const headers = session.headers({ 'hx-target': 'items-results' });
    expect((await built.app.request(pollUrl, { headers })).status).toBe(204);
    await insertItem(sql, built.deps.vault, { institutionName: 'Poll Bank' });
    const changed = await built.app.request(pollUrl, { headers });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toContain('Poll Bank');
  });

  it('marks an active item with a recorded error as broken, in the list (with its filter) and on its page', async () => {
    const { sql } = database;
    const broken = await insertItem(sql, built.deps.vault, { institutionName: 'Broken Token Bank', errorCode: 'INVALID_ACCESS_TOKEN' });
    const list = await (await built.app.request('/admin/items?status=error', { headers: { cookie: session.cookie } })).text();
    expect(list).toMatch(new RegExp(`<tr id="item-${broken.id}" class="item-row broken"[^>]*data-broken="true"`));
    expect(list).toMatch(/badge-active">active<\/span><span class="badge badge-bad" title="Plaid reports INVALID_ACCESS_TOKEN[^"]*">error</);
    expect(list).not.toContain('Detail Bank');
    // Sorted by status, it comes with the broken logins, before the healthy items.
    const sorted = await (await built.app.request('/admin/items?sort=status', { headers: { cookie: session.cookie } })).text();
    expect(sorted.indexOf('Broken Token Bank')).toBeGreaterThan(0);
    expect(sorted.indexOf('Broken Token Bank')).toBeLessThan(sorted.indexOf('Detail Bank'));
    const detail = await (await built.app.request(`/admin/items/${broken.id}`, { headers: { cookie: session.cookie } })).text();
    expect(detail).toMatch(/id="item-live" data-status="active" data-broken="true"/);
    expect(detail).toContain('INVALID_ACCESS_TOKEN');
  });

  it('shows the Plaid error code of ITEM ERROR webhooks in the webhook log and on the item page', async () => {
    const body = { webhook_type: 'ITEM', webhook_code: 'ERROR', item_id: item.plaidItemId, error: { error_code: 'INVALID_ACCESS_TOKEN', error_message: 'gone' } };
    await database.sql`insert into webhook_events (webhook_type, webhook_code, plaid_item_id, item_id, body, body_sha256, status)
      values ('ITEM', 'ERROR', ${item.plaidItemId}, ${item.id}, ${JSON.stringify(body)}::jsonb, 'y', 'processed')`;
    const log = await (await built.app.request('/admin/webhooks', { headers: { cookie: session.cookie } })).text();
    expect(log).toMatch(/<td>ITEM<\/td><td>ERROR<\/td>[\s\S]*?data-plaid-error="INVALID_ACCESS_TOKEN">INVALID_ACCESS_TOKEN</);
    const detail = await (await built.app.request(`/admin/items/${item.id}`, { headers: { cookie: session.cookie } })).text();
    expect(detail).toMatch(/<td>ERROR<\/td>[\s\S]*?<td class="error-cell">INVALID_ACCESS_TOKEN<\/td>/);
  });
});
