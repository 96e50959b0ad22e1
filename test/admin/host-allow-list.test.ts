import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { parsePublicOrigins } from '../../src/config/public-origins.js';
import { buildTestApp, TEST_ADMIN_PASSWORD, testConfig } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * DNS rebinding: a page on an attacker's name that resolves to this service sends requests whose
 * Host (and Origin) are the attacker's name. Every browser-reachable surface that holds a cookie or
 * serves unauthenticated data must refuse them.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

const PUBLIC = 'https://ops.example.com,http://localhost:3000';
const config = () => testConfig({ publicOrigins: parsePublicOrigins(PUBLIC), metricsAllowedHosts: ['prometheus-target.internal'] });
const form = (password: string) => new URLSearchParams({ password }).toString();

function login(app: ReturnType<typeof buildTestApp>['app'], headers: Record<string, string>, password = TEST_ADMIN_PASSWORD) {
  return app.request('/admin/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: form(password) });
}

async function sessionRows(): Promise<number> {
  const [row] = await database.sql<{ count: number }[]>`select count(*)::int as count from admin_sessions`;
  return row!.count;
}

describe('host allow-list: admin page', () => {
  it('refuses a login whose Host and Origin are both an attacker name: 421, no cookie, no session', async () => {
    const { app } = buildTestApp(database, { config: config() });
    const before = await sessionRows();
    for (const host of ['rebind.attacker.test', 'rebind.attacker.test:3000', 'ops.example.com.attacker.test', 'localhost:3001', '127.0.0.1:3000']) {
      const res = await login(app, { host, origin: `http://${host}` });
      expect(res.status, host).toBe(421);
      expect(res.headers.get('set-cookie'), host).toBeNull();
      expect(await res.text()).toContain('does not answer to that host name');
    }
    expect(await sessionRows()).toBe(before);
  });

  it('refuses every admin page, asset and htmx request under a foreign Host, and an htmx one gets the flash', async () => {
    const { app } = buildTestApp(database, { config: config() });
    for (const path of ['/admin/login', '/admin/items', '/admin/static/admin.css', '/admin/nope']) {
      const res = await app.request(path, { headers: { host: 'rebind.attacker.test' } });
      expect(res.status, path).toBe(421);
    }
    const htmx = await app.request('/admin/items', { headers: { host: 'rebind.attacker.test', 'hx-request': 'true' } });
    expect(htmx.status).toBe(421);
    expect(htmx.headers.get('hx-retarget')).toBe('#flash');
  });

  it('logs in under each public origin, default ports included, and through a TLS proxy', async () => {
    const { app } = buildTestApp(database, { config: config() });
    const viaProxy = await login(app, { host: 'ops.example.com', origin: 'https://ops.example.com', 'x-forwarded-proto': 'https' });
    expect(viaProxy.status).toBe(303);
    expect(viaProxy.headers.get('set-cookie')).toMatch(/Secure/);
    expect((await login(app, { host: 'OPS.example.com:443', origin: 'https://ops.example.com', 'x-forwarded-proto': 'https' })).status).toBe(303);
    expect((await login(app, { host: 'localhost:3000', origin: 'http://localhost:3000' })).status).toBe(303);
    // Without Origin (curl, some privacy settings) the Host alone decides.
    expect((await login(app, { host: 'localhost:3000' })).status).toBe(303);
  });

  it('refuses an allowed Host with an Origin that is not this request’s public origin', async () => {
    const { app } = buildTestApp(database, { config: config() });
    const cases = [
      { host: 'localhost:3000', origin: 'http://rebind.attacker.test' },
      // Both are public origins, but the form was not sent from the page it posts to.
      { host: 'localhost:3000', origin: 'https://ops.example.com' },
      { host: 'localhost:3000', origin: 'http://localhost:3000/admin' },
      { host: 'localhost:3000', origin: 'null' },
    ];
    for (const headers of cases) {
      const res = await login(app, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });

  it('keeps loopback pages on other ports out in simulator mode, whichever port the service got', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-host-'));
    const { config: simulatorConfig } = await loadConfig({ DATA_DIR: dataDir, PORT: '0' }).finally(() => rm(dataDir, { recursive: true, force: true }));
    const { app } = buildTestApp(database, { config: { ...testConfig(), publicOrigins: simulatorConfig.publicOrigins } });
    expect((await login(app, { host: '127.0.0.1:41234', origin: 'http://127.0.0.1:41234' })).status).toBe(303);
    expect((await login(app, { host: '[::1]:41234', origin: 'http://[::1]:41234' })).status).toBe(303);
    expect((await login(app, { host: '127.0.0.1:41234', origin: 'http://127.0.0.1:8080' })).status).toBe(403);
    expect((await login(app, { host: 'rebind.attacker.test:41234', origin: 'http://rebind.attacker.test:41234' })).status).toBe(421);
  });

  it('refuses a foreign Host over a real socket, as a browser after a DNS rebind sends it', async () => {
    const { app } = buildTestApp(database, { config: testConfig({ publicOrigins: parsePublicOrigins('http://localhost:3000') }) });
    const server = await new Promise<ServerType>((resolve) => {
      const instance = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(instance));
    });
    try {
      const port = (server.address() as AddressInfo).port;
      const body = form(TEST_ADMIN_PASSWORD);
      const res = await new Promise<{ status: number; cookie: string[] | undefined }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1', port, method: 'POST', path: '/admin/login',
            headers: { host: `rebind.attacker.test:${port}`, origin: `http://rebind.attacker.test:${port}`, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve({ status: response.statusCode!, cookie: response.headers['set-cookie'] }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(res.status).toBe(421);
      expect(res.cookie).toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('fuzz: no Host outside the list ever reaches the login or a page', async () => {
    const { app } = buildTestApp(database, { config: config() });
    const allowed = new Set(['ops.example.com', 'ops.example.com:443', 'localhost:3000']);
    const host = fc.oneof(
      fc.domain(),
      fc.tuple(fc.domain(), fc.integer({ min: 1, max: 65535 })).map(([name, port]) => `${name}:${port}`),
      fc.constantFrom('ops.example.com:8443', 'localhost', 'localhost:3000.attacker.test', 'ops.example.com@attacker.test', 'ops.example.com/x', '[::1]:3000', '0x7f.1:3000'),
      fc.string({ minLength: 1, maxLength: 40 }).filter((text) => /^[\x21-\x7e]+$/.test(text)),
    ).filter((name) => !allowed.has(name.toLowerCase()));
    await fc.assert(
      fc.asyncProperty(host, fc.constantFrom('/admin/login', '/admin/items'), async (name, path) => {
        const res = path === '/admin/login' ? await login(app, { host: name, origin: `https://${name}` }) : await app.request(path, { headers: { host: name } });
        expect(res.status).toBe(421);
        expect(res.headers.get('set-cookie')).toBeNull();
      }),
      { numRuns: 150 },
    );
  });
});

describe('host allow-list: /metrics', () => {
  it('answers IP literals (a scrape by pod address), the public hosts and METRICS_ALLOWED_HOSTS', async () => {
    const { app } = buildTestApp(database, { config: config() });
    for (const host of ['10.1.2.3:3000', '127.0.0.1', '[::1]:9100', '[fd00::12]:3000', 'ops.example.com', 'localhost:3000', 'prometheus-target.internal:3000', 'PROMETHEUS-TARGET.internal']) {
      const res = await app.request('/metrics', { headers: { host } });
      expect(res.status, host).toBe(200);
      expect(await res.text()).toContain('http_request_duration_seconds');
    }
  });

  it('refuses any other name with 421 in the one error shape, so a rebound page cannot read it', async () => {
    const { app } = buildTestApp(database, { config: config() });
    for (const host of ['rebind.attacker.test', 'rebind.attacker.test:3000', 'prometheus-target.internal.attacker.test', '10.1.2.3.attacker.test', 'a b', 'localhost:3001']) {
      const res = await app.request('/metrics', { headers: { host } });
      expect(res.status, host).toBe(421);
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
      expect(body.error.code).toBe('host_not_allowed');
      expect(body.error.requestId).toEqual(expect.any(String));
    }
  });

  it('leaves the probes, the token-authenticated API and webhook intake to any Host (see ADR 0005)', async () => {
    const { app } = buildTestApp(database, { config: config() });
    const host = { host: 'rebind.attacker.test' };
    expect((await app.request('/healthz', { headers: host })).status).toBe(200);
    // The API still needs its token, which a rebound page does not have.
    expect((await app.request('/api/items', { headers: { ...host, 'x-user-id': crypto.randomUUID() } })).status).toBe(401);
  });
});
