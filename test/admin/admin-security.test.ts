import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRoutes } from '../../src/admin/admin-app.js';
import { LoginLimiter } from '../../src/admin/login-limiter.js';
import { buildTestApp, TEST_ADMIN_PASSWORD, testConfig } from '../support/app.js';
import { insertAccount, insertItem, insertSyncRun, loginAsAdmin, type SeededItem } from '../support/admin.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
let item: SeededItem;
beforeAll(async () => {
  database = await createTestDatabase();
  const { deps } = buildTestApp(database);
  item = await insertItem(database.sql, deps.vault, { institutionName: 'Secure Bank' });
  await insertAccount(database.sql, item);
  await insertSyncRun(database.sql, item.id);
});
afterAll(async () => {
  await database.drop();
});

/** Routes anyone may reach: the login form and the static files the login page needs. */
const PUBLIC = new Set(['GET /login', 'POST /login', 'GET /static/:name']);

function concretePath(path: string): string {
  return path
    .replace(':product', 'transactions')
    .replace(':action', 'advance')
    .replace(':name', 'admin.css')
    .replace(/:id/g, '00000000-0000-4000-8000-000000000000')
    .replace('*', 'anything');
}

describe('admin security', () => {
  it('refuses every registered /admin route without a session', async () => {
    const { app, deps } = buildTestApp(database);
    const routes = adminRoutes(deps).routes.filter((route) => route.method !== 'ALL' || route.path !== '/*');
    const checked = routes.filter((route) => !PUBLIC.has(`${route.method} ${route.path}`));
    expect(checked.length).toBeGreaterThan(10);
    for (const route of checked) {
      const method = route.method === 'ALL' ? 'GET' : route.method;
      const res = await app.request(`/admin${concretePath(route.path)}`.replace(/\/$/, ''), { method, headers: { origin: 'http://localhost' } });
      expect([303, 401], `${method} ${route.path}`).toContain(res.status);
      if (res.status === 303) expect(res.headers.get('location')).toBe('/admin/login');
      const body = await res.text();
      expect(body).not.toContain('Secure Bank');
    }
  });

  it('refuses a forged, tampered or expired session cookie', async () => {
    const { app } = buildTestApp(database);
    const session = await loginAsAdmin(app);
    const [name, value] = session.cookie.split('=') as [string, string];
    const tampered = `${name}=${value.startsWith('A') ? 'B' : 'A'}${value.slice(1)}`;
    for (const cookie of [tampered, `${name}=9999999999.${'a'.repeat(24)}.forged`, `${name}=`]) {
      const res = await app.request('/admin/items', { headers: { cookie } });
      expect(res.status).toBe(303);
    }
    // A session from another deployment (another password) is not accepted either.
    const other = buildTestApp(database, { config: { ...buildTestApp(database).deps.config, adminPassword: 'another-password' } });
    expect((await other.app.request('/admin/items', { headers: { cookie: session.cookie } })).status).toBe(303);
  });

  it('answers 403 to a POST without the CSRF token, with a wrong one, or from a foreign origin', async () => {
    const { app, deps } = buildTestApp(database);
    const session = await loginAsAdmin(app);
    const path = `/admin/items/${item.id}/sync/transactions`;
    const noToken = await app.request(path, { method: 'POST', headers: { cookie: session.cookie, origin: 'http://localhost' } });
    expect(noToken.status).toBe(403);
    const wrong = await app.request(path, { method: 'POST', headers: session.headers({ 'x-csrf-token': 'x'.repeat(43) }) });
    expect(wrong.status).toBe(403);
    const foreign = await app.request(path, { method: 'POST', headers: session.headers({ origin: 'https://evil.example' }) });
    expect(foreign.status).toBe(403);
    const crossSite = await app.request(path, { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    const loginFromElsewhere = await app.request('/admin/login', {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: `password=${TEST_ADMIN_PASSWORD}`,
    });
    expect(loginFromElsewhere.status).toBe(403);
    expect((deps.syncs as unknown as { requests: unknown[] }).requests).toHaveLength(0);

    const ok = await app.request(path, { method: 'POST', headers: session.headers() });
    expect(ok.status).toBe(200);
  });

  it('accepts the origin a TLS proxy forwards and sets a Secure cookie behind HTTPS', async () => {
    const config = testConfig({ publicOrigins: [{ protocol: 'https:', hostname: 'ops.example.com', port: '' }] });
    const { app } = buildTestApp(database, { config });
    const res = await app.request('/admin/login', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://ops.example.com',
        host: 'ops.example.com',
        'x-forwarded-proto': 'https',
      },
      body: new URLSearchParams({ password: TEST_ADMIN_PASSWORD }).toString(),
    });
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/Path=\/admin/);
  });

  it('does not mark the cookie Secure over plain HTTP, so local development still works', async () => {
    const { app } = buildTestApp(database);
    const res = await app.request('/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ password: TEST_ADMIN_PASSWORD }).toString(),
    });
    expect(res.headers.get('set-cookie')).not.toMatch(/Secure/);
  });

  it('sends a CSP that allows only this origin, and the other secure headers, on every page', async () => {
    const { app } = buildTestApp(database);
    const session = await loginAsAdmin(app);
    for (const path of ['/admin/login', '/admin/items', `/admin/items/${item.id}`, '/admin/webhooks', '/admin/backfill']) {
      const res = await app.request(path, { headers: { cookie: session.cookie } });
      const csp = res.headers.get('content-security-policy');
      expect(csp, path).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const html = await res.text();
      // No inline script and no third-party origin anywhere on the page.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/(src|href)="https?:\/\//);
    }
  });

  it('never puts an access token on a page', async () => {
    const { app } = buildTestApp(database);
    const session = await loginAsAdmin(app);
    for (const path of ['/admin/items', `/admin/items/${item.id}`, `/admin/items/${item.id}/row`, `/admin/items/${item.id}/live`, '/admin/webhooks', '/admin/backfill']) {
      const html = await (await app.request(path, { headers: { cookie: session.cookie } })).text();
      expect(html, path).not.toContain(item.accessToken);
      expect(html).not.toContain('access-sandbox-');
    }
  });

  it('serves htmx and its own assets from the service, cacheable when versioned', async () => {
    const { app } = buildTestApp(database);
    const page = await (await app.request('/admin/login')).text();
    const htmxUrl = /src="(\/admin\/static\/htmx\.min\.js\?v=[0-9a-f]+)"/.exec(page)![1]!;
    const htmx = await app.request(htmxUrl);
    expect(htmx.status).toBe(200);
    expect(htmx.headers.get('content-type')).toContain('javascript');
    expect(htmx.headers.get('cache-control')).toContain('immutable');
    expect(await htmx.text()).toContain('htmx');
    expect((await app.request('/admin/static/admin.css')).headers.get('cache-control')).toBe('no-cache');
    expect((await app.request('/admin/static/nope.js')).status).toBe(404);
  });

  it('rate-limits failed logins per client and lets a correct password reset the count', async () => {
    const { deps } = buildTestApp(database);
    const limiter = new LoginLimiter(deps.db, { windowSeconds: 60, maxFailuresPerAddress: 3, maxFailuresTotal: 100 });
    const admin = adminRoutes(deps, { limiter });
    const attempt = (password: string) =>
      admin.request('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password }).toString(),
      });
    expect((await attempt('wrong-password')).status).toBe(401);
    expect((await attempt('wrong-password')).status).toBe(401);
    expect((await attempt(TEST_ADMIN_PASSWORD)).status).toBe(303);
    for (let i = 0; i < 3; i++) expect((await attempt('wrong-password')).status).toBe(401);
    const limited = await attempt(TEST_ADMIN_PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The window ends (moved into the past rather than waited for): the address may try again.
    await database.sql`update admin_login_limits set expire = now() - interval '1 second'`;
    expect((await attempt(TEST_ADMIN_PASSWORD)).status).toBe(303);
  });

  it('logs out: the cookie is cleared and htmx is sent back to the login page', async () => {
    const { app } = buildTestApp(database);
    const session = await loginAsAdmin(app);
    const res = await app.request('/admin/logout', { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(204);
    expect(res.headers.get('hx-redirect')).toBe('/admin/login');
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/);
  });

  it('sends htmx requests without a session back to the login page', async () => {
    const { app } = buildTestApp(database);
    const res = await app.request(`/admin/items/${item.id}/row`, { headers: { 'hx-request': 'true' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('hx-redirect')).toBe('/admin/login');
  });
});
