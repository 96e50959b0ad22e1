import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { adminRoutes } from '../../src/admin/admin-app.js';
import { buildTestApp, TEST_ADMIN_PASSWORD, testConfig } from '../support/app.js';
import { loginAsAdmin } from '../support/admin.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * Sessions live in PostgreSQL: a logout, a password change or a timeout ends a session on every
 * instance at once, and a cookie copied before any of them opens nothing afterwards.
 */
let database: TestDatabase;
let second: DatabaseHandle;
beforeAll(async () => {
  database = await createTestDatabase();
  // A second instance has its own pool on the same database, as two processes would.
  second = connectDatabase(database.url, { max: 2 });
});
afterAll(async () => {
  await second.close();
  await database.drop();
});

const MINUTE = 60_000;
/** One deployment's configuration (one encryption key), shared by every instance built here. */
const deployment = testConfig();

/** An admin app on its own clock; `instance: 'second'` uses the other pool. */
function adminApp(options: { now?: () => number; instance?: 'first' | 'second'; adminPassword?: string; idle?: number; absolute?: number } = {}) {
  const config = testConfig({
    keyring: deployment.keyring,
    adminPassword: options.adminPassword ?? TEST_ADMIN_PASSWORD,
    adminSession: { idleTimeoutSeconds: options.idle ?? 30 * 60, absoluteTimeoutSeconds: options.absolute ?? 8 * 60 * 60 },
  });
  const built = buildTestApp(database, { config });
  const deps = options.instance === 'second' ? { ...built.deps, db: second.db, sql: second.sql } : built.deps;
  return adminRoutes(deps, { now: options.now });
}

/** The admin routes are mounted at `/admin` in the service; here they are called directly. */
function mounted(admin: ReturnType<typeof adminRoutes>): Pick<Hono, 'request'> {
  return { request: (input, init) => admin.request(typeof input === 'string' ? input.replace(/^\/admin/, '') : input, init) };
}

async function opens(admin: ReturnType<typeof adminRoutes>, cookie: string): Promise<boolean> {
  const res = await admin.request('/items', { headers: { cookie } });
  if (res.status === 200) return true;
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/admin/login');
  return false;
}

async function logout(admin: ReturnType<typeof adminRoutes>, session: Awaited<ReturnType<typeof loginAsAdmin>>) {
  const res = await admin.request('/logout', { method: 'POST', headers: session.headers() });
  expect(res.status).toBe(204);
  expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/);
}

describe('server-side admin sessions', () => {
  it('a cookie copied before logout no longer reads or acts', async () => {
    const admin = adminApp();
    const session = await loginAsAdmin(mounted(admin));
    expect(await opens(admin, session.cookie)).toBe(true);
    await logout(admin, session);
    expect(await opens(admin, session.cookie)).toBe(false);
    const act = await admin.request('/items/refresh-all', { method: 'POST', headers: session.headers() });
    expect(act.status).toBe(401);
    expect(act.headers.get('hx-redirect')).toBe('/admin/login');
  });

  it('two instances on one database: a login works on both, and a logout on one ends it on the other at once', async () => {
    const first = adminApp({ instance: 'first' });
    const other = adminApp({ instance: 'second' });
    const session = await loginAsAdmin(mounted(first));
    expect(await opens(other, session.cookie)).toBe(true);
    await logout(other, session);
    expect(await opens(first, session.cookie)).toBe(false);
    expect(await opens(other, session.cookie)).toBe(false);
  });

  it('a password change revokes every session opened under the old password, and they stay revoked', async () => {
    const before = adminApp();
    const session = await loginAsAdmin(mounted(before));
    const changed = adminApp({ adminPassword: 'a-new-admin-password' });
    expect(await opens(changed, session.cookie)).toBe(false);
    // The next login under the new password prunes the old sessions; going back does not revive them.
    const login = await changed.request('/login', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ password: 'a-new-admin-password' }).toString(),
    });
    expect(login.status).toBe(303);
    expect(await opens(before, session.cookie)).toBe(false);
  });

  it('ends a session idle longer than the idle timeout (clock moved, not waited for)', async () => {
    let now = Date.now();
    const admin = adminApp({ now: () => now, idle: 30 * 60 });
    const session = await loginAsAdmin(mounted(admin));
    now += 29 * MINUTE;
    expect(await opens(admin, session.cookie)).toBe(true);
    // Activity moved the idle deadline: another 29 minutes are fine, 31 without a request are not.
    now += 29 * MINUTE;
    expect(await opens(admin, session.cookie)).toBe(true);
    now += 31 * MINUTE;
    expect(await opens(admin, session.cookie)).toBe(false);
    now -= 31 * MINUTE;
    // Another instance on another pool sees the same expiry.
    expect(await opens(adminApp({ now: () => now + 31 * MINUTE, instance: 'second' }), session.cookie)).toBe(false);
  });

  it('ends an active session at the absolute timeout', async () => {
    let now = Date.now();
    const admin = adminApp({ now: () => now, idle: 30 * 60, absolute: 2 * 60 * 60 });
    const session = await loginAsAdmin(mounted(admin));
    for (let minutes = 20; minutes <= 100; minutes += 20) {
      now += 20 * MINUTE;
      expect(await opens(admin, session.cookie), `after ${minutes} min`).toBe(true);
    }
    now += 19 * MINUTE;
    expect(await opens(admin, session.cookie)).toBe(true);
    now += 2 * MINUTE;
    expect(await opens(admin, session.cookie)).toBe(false);
  });

  it('keeps only a hash of the opaque random cookie, with a cookie lifetime of the absolute timeout', async () => {
    const admin = adminApp({ absolute: 3600 });
    const res = await admin.request('/login', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
      body: new URLSearchParams({ password: TEST_ADMIN_PASSWORD }).toString(),
    });
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/Max-Age=3600/);
    const token = /plaid_admin_session=([^;]+)/.exec(setCookie)![1]!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await database.sql<{ id_hash: string }[]>`select id_hash from admin_sessions`;
    expect(rows.map((row) => row.id_hash)).toContain(createHash('sha256').update(token).digest('base64url'));
    const dump = JSON.stringify(await database.sql`select * from admin_sessions`);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(TEST_ADMIN_PASSWORD);
    // The stored hash is no cookie: presenting it opens nothing.
    expect(await opens(admin, `plaid_admin_session=${rows[0]!.id_hash}`)).toBe(false);
  });

  it('prunes ended sessions when someone logs in', async () => {
    let now = Date.now();
    const admin = adminApp({ now: () => now, idle: 60, absolute: 600 });
    const stale = await loginAsAdmin(mounted(admin));
    now += 5 * MINUTE;
    await loginAsAdmin(mounted(admin));
    const hashes = (await database.sql<{ id_hash: string }[]>`select id_hash from admin_sessions`).map((row) => row.id_hash);
    const staleHash = createHash('sha256').update(stale.cookie.split('=')[1]!).digest('base64url');
    expect(hashes).not.toContain(staleHash);
  });
});
