import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listItems } from '../../src/admin/item-list-query.js';
import { listParamsSchema, listQueryString, PAGE_SIZE } from '../../src/admin/list-params.js';
import { buildTestApp } from '../support/app.js';
import { insertAccount, insertItem, insertSyncRun, loginAsAdmin, type AdminSessionForTest, type SeededItem } from '../support/admin.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
let session: AdminSessionForTest;
let app: ReturnType<typeof buildTestApp>['app'];
const items = {} as Record<'alpha' | 'beta' | 'gamma' | 'delta', SeededItem>;

beforeAll(async () => {
  database = await createTestDatabase();
  const built = buildTestApp(database);
  app = built.app;
  const { sql } = database;
  const vault = built.deps.vault;
  items.alpha = await insertItem(sql, vault, { institutionName: 'Alpha Savings', products: ['transactions'] });
  items.beta = await insertItem(sql, vault, { institutionName: 'Beta Brokerage', products: ['investments'], status: 'needs_reauth', errorCode: 'ITEM_LOGIN_REQUIRED' });
  items.gamma = await insertItem(sql, vault, { institutionName: 'Gamma 100%_Bank', products: ['liabilities'], status: 'disconnected' });
  items.delta = await insertItem(sql, vault, { institutionName: 'Delta Credit', products: ['transactions', 'liabilities'] });
  await sql`update plaid_items set pending_disconnect_at = now() + interval '3 days' where id = ${items.delta.id}`;
  await sql`update plaid_items set new_accounts_available = true where id = ${items.alpha.id}`;
  await insertAccount(sql, items.alpha);
  await insertAccount(sql, items.alpha, { name: 'Savings' });
  await insertAccount(sql, items.alpha, { status: 'inactive' });
  await insertSyncRun(sql, items.alpha.id, { startedAt: new Date('2030-01-02T03:04:05Z') });
  await insertSyncRun(sql, items.alpha.id, { status: 'failed', startedAt: new Date('2030-01-03T00:00:00Z'), errorCode: 'INTERNAL_SERVER_ERROR' });
  await insertSyncRun(sql, items.delta.id, { product: 'liabilities', startedAt: new Date('2030-02-01T00:00:00Z') });
  await insertSyncRun(sql, items.delta.id, { status: 'running', startedAt: new Date() });
  session = await loginAsAdmin(app);
});
afterAll(async () => {
  await database.drop();
});

const query = (raw: Record<string, string>) => listItems(database.sql, listParamsSchema.parse(raw));

describe('items list query', () => {
  it('summarises each item: status, products, last successful sync per product, running work, account count', async () => {
    const page = await query({ q: items.alpha.id });
    expect(page.total).toBe(1);
    const alpha = page.items[0]!;
    expect(alpha).toMatchObject({ institutionName: 'Alpha Savings', status: 'active', products: ['transactions'], accountCount: 2, newAccountsAvailable: true, running: [] });
    // The failed run is newer, but the last *successful* sync is what the column shows.
    expect(alpha.lastSyncs).toEqual([{ product: 'transactions', finishedAt: expect.stringMatching(/^2030-01-02T03:04:06\.5/) }]);
    const delta = (await query({ q: items.delta.id })).items[0]!;
    expect(delta.running).toEqual([expect.objectContaining({ product: 'transactions', pages: 1 })]);
    expect(delta.lastSyncs.map((s) => s.product)).toEqual(['liabilities']);
  });

  it('filters by status, by the expiring and new-accounts conditions, and by product', async () => {
    const ids = async (raw: Record<string, string>) => (await query(raw)).items.map((item) => item.id).sort();
    expect(await ids({ status: 'needs_reauth' })).toEqual([items.beta.id]);
    expect(await ids({ status: 'disconnected' })).toEqual([items.gamma.id]);
    expect(await ids({ status: 'pending_disconnect' })).toEqual([items.delta.id]);
    expect(await ids({ status: 'new_accounts' })).toEqual([items.alpha.id]);
    expect(await ids({ product: 'liabilities' })).toEqual([items.gamma.id, items.delta.id].sort());
    expect(await ids({ product: 'liabilities', status: 'active' })).toEqual([items.delta.id]);
  });

  it('searches institution names (wildcards literal), user ids, item ids and Plaid item ids', async () => {
    expect((await query({ q: 'brokerage' })).items.map((i) => i.id)).toEqual([items.beta.id]);
    expect((await query({ q: '100%_' })).items.map((i) => i.id)).toEqual([items.gamma.id]);
    expect((await query({ q: '%' })).items.map((i) => i.id)).toEqual([items.gamma.id]);
    expect((await query({ q: items.delta.userId })).items.map((i) => i.id)).toEqual([items.delta.id]);
    expect((await query({ q: items.beta.plaidItemId })).items.map((i) => i.id)).toEqual([items.beta.id]);
    expect((await query({ q: randomUUID() })).total).toBe(0);
  });

  it('sorts on the server, both ways; status puts what needs an operator first', async () => {
    const names = async (raw: Record<string, string>) => (await query(raw)).items.map((item) => item.institutionName);
    expect(await names({ sort: 'institution' })).toEqual(['Alpha Savings', 'Beta Brokerage', 'Delta Credit', 'Gamma 100%_Bank']);
    expect(await names({ sort: 'institution', dir: 'desc' })).toEqual(['Gamma 100%_Bank', 'Delta Credit', 'Beta Brokerage', 'Alpha Savings']);
    expect(await names({})).toEqual(['Beta Brokerage', 'Alpha Savings', 'Delta Credit', 'Gamma 100%_Bank']);
    const created = await names({ sort: 'created', dir: 'desc' });
    expect(created.slice(0, 2)).toEqual(['Delta Credit', 'Gamma 100%_Bank']);
  });

  it('sorts by last successful sync: the stalest product decides, a product never synced counts as oldest', async () => {
    const built = buildTestApp(database);
    const seed = async (name: string, products: string[], successes: [string, string][]) => {
      const item = await insertItem(database.sql, built.deps.vault, { institutionName: `Stale ${name}`, products });
      for (const [product, day] of successes) await insertSyncRun(database.sql, item.id, { product, startedAt: new Date(`${day}T00:00:00Z`) });
      // An older success of the same product and a newer failure change nothing: the newest success counts.
      await insertSyncRun(database.sql, item.id, { product: products[0]!, startedAt: new Date('2029-01-01T00:00:00Z') });
      await insertSyncRun(database.sql, item.id, { product: products[0]!, status: 'failed', startedAt: new Date('2032-01-01T00:00:00Z') });
      return item.id;
    };
    const x = await seed('X', ['transactions'], [['transactions', '2031-01-01']]);
    const y = await seed('Y', ['transactions', 'liabilities'], [['transactions', '2031-06-01'], ['liabilities', '2031-02-01']]);
    const z = await seed('Z', ['transactions'], [['transactions', '2031-03-01']]);
    const w = await seed('W', ['transactions', 'liabilities'], [['transactions', '2031-12-01']]);
    try {
      const ids = async (dir: string) => (await query({ q: 'Stale', sort: 'last_sync', dir })).items.map((item) => item.id);
      expect(await ids('asc')).toEqual([w, x, y, z]);
      expect(await ids('desc')).toEqual([z, y, x, w]);
      const html = await (await app.request('/admin/items?q=Stale&sort=last_sync', { headers: { cookie: session.cookie } })).text();
      expect(html).toMatch(/<th class="col-sync" aria-sort="ascending">\s*<a href="\/admin\/items\?q=Stale&amp;sort=last_sync&amp;dir=desc"/);
    } finally {
      for (const id of [x, y, z, w]) {
        await database.sql`delete from sync_state where item_id = ${id}`;
        await database.sql`delete from sync_runs where item_id = ${id}`;
        await database.sql`delete from plaid_items where id = ${id}`;
      }
    }
  });

  it('falls back to defaults for malformed parameters instead of failing', () => {
    expect(listParamsSchema.parse({ status: 'bogus', product: 'crypto', sort: 'drop table', dir: 'sideways', page: '-3' })).toEqual({
      status: undefined, product: undefined, q: undefined, sort: 'status', dir: 'asc', page: 1,
    });
    expect(listQueryString(listParamsSchema.parse({ q: 'a b', page: '2' }))).toBe('?q=a+b&page=2');
  });
});

describe('items list page', () => {
  it('renders the list with badges that carry a text label', async () => {
    const res = await app.request('/admin/items', { headers: { cookie: session.cookie } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Alpha Savings');
    expect(html).toMatch(/class="badge badge-needs_reauth"[^>]*>needs_reauth</);
    expect(html).toMatch(/class="badge badge-warning"[^>]*>pending expiration</);
    expect(html).toMatch(/class="badge badge-info"[^>]*>new accounts</);
    expect(html).toContain('2030-01-02 03:04:06 UTC');
    expect(html).toContain('ITEM_LOGIN_REQUIRED');
    // The row with a running sync polls itself; the others do not.
    expect(html).toMatch(new RegExp(`id="item-${items.delta.id}"[^>]*data-live="polling"[^>]*hx-get="/admin/items/${items.delta.id}/row"[^>]*hx-trigger="every 1s"`));
    expect(html).toMatch(new RegExp(`id="item-${items.alpha.id}"[^>]*data-live="idle"`));
  });

  it("shows a long first pull's progress and its wait for Plaid's rate limit", async () => {
    const built = buildTestApp(database);
    const long = await insertItem(database.sql, built.deps.vault, { institutionName: 'Long History Bank', products: ['transactions'] });
    const runId = await insertSyncRun(database.sql, long.id, { status: 'running', startedAt: new Date() });
    await database.sql`
      update sync_runs set pages = 100, added = 50000, rate_limited_until = '2030-05-06T07:08:09Z' where id = ${runId}`;
    try {
      const [summary] = (await query({ q: long.id })).items;
      expect(summary!.running).toEqual([expect.objectContaining({ pages: 100, added: 50_000, rateLimitedUntil: expect.stringMatching(/^2030-05-06T07:08:09/) })]);
      const row = await (await app.request(`/admin/items/${long.id}/row`, { headers: { cookie: session.cookie } })).text();
      expect(row).toContain('syncing · 100 pages · +50000');
      expect(row).toMatch(/data-rate-limited="transactions"[^>]*>[^<]*waiting for Plaid&#39;s rate limit until\s*<time datetime="2030-05-06T07:08:09[^"]*">2030-05-06 07:08:09 UTC</);
      // Once the wait is over the line says so no more.
      await database.sql`update sync_runs set rate_limited_until = null where id = ${runId}`;
      const after = await (await app.request(`/admin/items/${long.id}/row`, { headers: { cookie: session.cookie } })).text();
      expect(after).toContain('syncing · 100 pages');
      expect(after).not.toContain('rate limit');
    } finally {
      await database.sql`delete from sync_runs where item_id = ${long.id}`;
      await database.sql`delete from plaid_items where id = ${long.id}`;
    }
  });

  it('answers an htmx filter request with the results fragment only', async () => {
    const res = await app.request('/admin/items?status=needs_reauth', { headers: { cookie: session.cookie, 'hx-request': 'true', 'hx-target': 'items-results' } });
    const html = await res.text();
    expect(html.startsWith('<section id="items-results"')).toBe(true);
    expect(html).toContain('Beta Brokerage');
    expect(html).not.toContain('Alpha Savings');
    expect(html).not.toContain('<html');
  });

  it('escapes what it shows', async () => {
    const built = buildTestApp(database);
    const evil = await insertItem(database.sql, built.deps.vault, { institutionName: '<script>alert(1)</script>' });
    const html = await (await app.request(`/admin/items?q=${evil.id}`, { headers: { cookie: session.cookie } })).text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    await database.sql`delete from plaid_items where id = ${evil.id}`;
  });

  it('paginates on the server with links that keep the filters', async () => {
    const built = buildTestApp(database);
    const extra: string[] = [];
    for (let i = 0; i < PAGE_SIZE + 5; i++) extra.push((await insertItem(database.sql, built.deps.vault, { institutionName: `Paging Bank ${String(i).padStart(3, '0')}` })).id);
    try {
      const first = await (await app.request('/admin/items?q=Paging&sort=institution', { headers: { cookie: session.cookie } })).text();
      expect(first).toContain('55 items · page 1 of 2');
      expect(first).toContain('/admin/items?q=Paging&amp;sort=institution&amp;page=2');
      expect(first).toContain('Paging Bank 049');
      expect(first).not.toContain('Paging Bank 050');
      const second = await (await app.request('/admin/items?q=Paging&sort=institution&page=2', { headers: { cookie: session.cookie } })).text();
      expect(second).toContain('Paging Bank 054');
      expect(second).not.toContain('Paging Bank 049');
    } finally {
      await database.sql`delete from plaid_items where id = any(${extra}::uuid[])`;
    }
  });
});
