import fc from 'fast-check';
import { generateKeyPair, SignJWT } from 'jose';
import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTS } from '../../src/db/schema/products.js';
import { createLogger } from '../../src/logger.js';
import { loginAsAdmin, type AdminSessionForTest } from '../support/admin.js';
import { apiClient, linkThroughApi } from '../support/api-client.js';
import { buildTestApp, TEST_ADMIN_PASSWORD, TEST_API_TOKEN, TEST_PLAID_SECRET } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { fillPath, operationsOf, sampleBody, type OpenApiDocument } from '../support/openapi-requests.js';
import { keyringSecrets, plainSecret, SecretScanner } from '../support/resilience-secrets.js';
import { printFigures, size } from '../support/resilience-sizes.js';
import { recordingWorkQueue } from '../support/webhook-queue.js';
import { startWebhookSimulator, type CapturedWebhook } from '../support/webhook-simulator.js';

const WEBHOOK_CASES = size(1_000, 10_000);
const REQUEST_CASES = size(500, 5_000);
const SEED = 1010;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Odd strings that break naive parsers, path handling and SQL built by hand. */
const nasty = fc.constantFrom(
  '', ' ', '%', '%00', '..', '../../etc/passwd', "' or 1=1 --", '"', '\\', '\u0000', '\ud800', '😀', 'null', 'undefined', '-1', '1e309',
  'NaN', '0x10', '[]', '{}', 'a'.repeat(5000), '<script>alert(1)</script>', '00000000-0000-0000-0000-000000000000', 'transactions',
);
const text = fc.oneof(fc.string({ maxLength: 64 }), fc.string({ unit: 'binary', maxLength: 64 }), nasty);
/** What an HTTP client can put in a header: visible ASCII and spaces. */
/** encodeURIComponent of any string (a lone surrogate becomes U+FFFD, as a client would send it). */
const encode = (value: string) => encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8'));
const headerText = text.map((value) => value.replace(/[^\x20-\x7e]/g, ''));

describe('fuzzed webhooks, API and admin requests', () => {
  let database: TestDatabase;
  let simulator: ReturnType<typeof startWebhookSimulator>;
  let built: ReturnType<typeof buildTestApp>;
  let queue: ReturnType<typeof recordingWorkQueue>;
  let session: AdminSessionForTest;
  let signed: CapturedWebhook[];
  let tables: string[];
  const scanner = new SecretScanner();
  const logCount = { lines: 0 };
  const owned: Record<string, string> = {};

  /** Row counts of every table: a rejected request must leave them as they were. */
  async function fingerprint(): Promise<string> {
    const counts = await database.sql.unsafe(tables.map((table) => `select '${table}' as t, count(*)::int as n from "${table}"`).join(' union all '));
    return JSON.stringify([...counts].map((row) => `${row.t}=${row.n}`)) + `;syncs=${queue.syncs.length},events=${queue.itemEvents.length},checks=${queue.statusChecks.length}`;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = startWebhookSimulator({ seed: SEED });
    queue = recordingWorkQueue();
    // Log lines are scanned for secrets as they are written and not kept, so the heap measures the app.
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logCount.lines++;
        scanner.scan('log line', chunk.toString());
        done();
      },
    });
    built = buildTestApp(database, { queue, logger: createLogger('debug', stream) });
    scanner.add(plainSecret('Plaid secret', TEST_PLAID_SECRET), plainSecret('admin password', TEST_ADMIN_PASSWORD), ...keyringSecrets(built.deps.config.keyring));

    const owner = apiClient(built.app);
    const linked = await linkThroughApi(owner, simulator.control);
    expect(linked.status).toBe(201);
    owned.id = linked.body.item.id as string;
    owned.userId = owner.userId;
    const accessToken = simulator.control.item(linked.plaidItemId).accessToken;
    scanner.add(plainSecret('access token', accessToken));
    // Genuine deliveries to tamper with: a sync webhook, an item webhook, a holdings update.
    simulator.control.advance(linked.plaidItemId, { added: 1 });
    const other = simulator.control.createItem({ products: [Products.Investments], webhook: 'https://service.test/webhooks/plaid' });
    simulator.control.updateHoldings(other.itemId, { added: 1 });
    simulator.control.pendingExpiration(linked.plaidItemId);
    signed = [...simulator.captured];
    expect(signed.length).toBeGreaterThanOrEqual(2);
    session = await loginAsAdmin(built.app);
    // A failed login is meant to write: it is counted in admin_login_limits, shared by all instances.
    tables = (await database.sql<{ tablename: string }[]>`select tablename from pg_tables where schemaname = 'public' and tablename <> 'admin_login_limits' order by 1`).map(
      (row) => row.tablename,
    );
  });
  afterAll(async () => {
    await simulator?.close();
    await database?.drop();
  });

  it('treats a login form that cannot be parsed as a failed attempt, not an internal error', async () => {
    const res = await built.app.request('/admin/login', {
      method: 'POST', headers: { origin: 'http://localhost', 'content-type': 'multipart/form-data; boundary=x' }, body: '[]',
    });
    expect(res.status).toBe(401);
  });

  it(`refuses ${WEBHOOK_CASES} forged or malformed webhooks: no 5xx, nothing recorded, memory flat`, async () => {
    const attacker = await generateKeyPair('ES256');
    const realKid = simulator.control.webhookKeys()[0]!.kid;
    const sha = (body: string) => createHash('sha256').update(body).digest('hex');
    const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
    const delivery = fc.constantFrom(...signed);
    const plaidShaped = fc.record({
      webhook_type: fc.constantFrom('TRANSACTIONS', 'ITEM', 'HOLDINGS', 'LIABILITIES', 'AUTH'),
      webhook_code: fc.constantFrom('SYNC_UPDATES_AVAILABLE', 'ERROR', 'LOGIN_REPAIRED', 'DEFAULT_UPDATE', 'USER_PERMISSION_REVOKED'),
      item_id: fc.oneof(fc.constant(signed[0]!.body.match(/"item_id": "([^"]+)"/)?.[1] ?? 'x'), text),
      error: fc.option(fc.jsonValue({ maxDepth: 2 })),
      environment: fc.constantFrom('sandbox', 'production'),
    }).map((payload) => JSON.stringify(payload, null, 2));

    type Case = { kind: string; body: string; headers: Record<string, string> };
    const cases: fc.Arbitrary<Case>[] = [
      // Any bytes under a real signature.
      fc.tuple(delivery, fc.oneof(text, fc.jsonValue().map((v) => JSON.stringify(v)))).map(([d, body]) => ({ kind: 'foreign body', body, headers: d.headers })),
      // A real body with one byte changed.
      fc.tuple(delivery, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([d, at, delta]) => {
        const bytes = Buffer.from(d.body);
        const index = at % bytes.length;
        bytes[index] = (bytes[index]! + delta) % 256;
        return { kind: 'flipped byte', body: bytes.toString('latin1'), headers: d.headers };
      }),
      // The same JSON serialised differently.
      delivery.map((d) => ({ kind: 'reserialised', body: JSON.stringify(JSON.parse(d.body)), headers: d.headers })),
      // A real body with a header that is not a valid token.
      fc.tuple(delivery, fc.oneof(headerText, fc.tuple(text, text, text).map((parts) => parts.map(b64).join('.')))).map(([d, header]) => ({
        kind: 'bad header', body: d.body, headers: { 'content-type': 'application/json', 'plaid-verification': header },
      })),
      delivery.map((d) => ({ kind: 'no header', body: d.body, headers: { 'content-type': 'application/json' } })),
      // Tokens an attacker can make: any algorithm, Plaid's kid or not, the right hash or not.
      fc.tuple(delivery, plaidShaped, fc.constantFrom('none', 'HS256', 'RS256', 'ES256', 'ES384', 'EdDSA'), fc.boolean(), fc.boolean(), fc.integer({ min: -10_000, max: 10_000 }))
        .map(([d, crafted, alg, ownBody, realKidUsed, iatShift]) => {
          const body = ownBody ? crafted : d.body;
          const header = { alg, kid: realKidUsed ? realKid : randomUUID(), typ: 'JWT' };
          const payload = { iat: Math.floor(Date.now() / 1000) + iatShift, request_body_sha256: sha(body) };
          return { kind: `unsigned ${alg}`, body, headers: { 'content-type': 'application/json', 'plaid-verification': `${b64(header)}.${b64(payload)}.${b64('sig')}` } };
        }),
      // Properly ES256-signed, by a key Plaid never issued, naming Plaid's kid or another.
      fc.tuple(fc.oneof(plaidShaped, delivery.map((d) => d.body)), fc.boolean()).map(([body, realKidUsed]) => ({
        kind: 'attacker key', body, headers: { 'content-type': 'application/json', 'x-sign-with': realKidUsed ? realKid : randomUUID() },
      })),
      // Oversized.
      delivery.map((d) => ({ kind: 'oversized', body: `${d.body}${' '.repeat(70 * 1024)}`, headers: d.headers })),
    ];

    const before = await fingerprint();
    const statuses = new Map<string, number>();
    const kinds = new Map<string, number>();
    let done = 0;
    let warmHeap = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(...cases), async (input) => {
        const headers = { ...input.headers };
        if (headers['x-sign-with']) {
          headers['plaid-verification'] = await new SignJWT({ request_body_sha256: sha(input.body) })
            .setProtectedHeader({ alg: 'ES256', kid: headers['x-sign-with'], typ: 'JWT' }).setIssuedAt().sign(attacker.privateKey);
          delete headers['x-sign-with'];
        }
        const res = await built.app.request('/webhooks/plaid', { method: 'POST', headers, body: input.body });
        const answer = await res.text();
        scanner.scan('webhook response', answer);
        statuses.set(String(res.status), (statuses.get(String(res.status)) ?? 0) + 1);
        kinds.set(input.kind, (kinds.get(input.kind) ?? 0) + 1);
        if (++done === Math.ceil(WEBHOOK_CASES / 10)) warmHeap = heapMb();
        // Past the key-fetch budget an unknown kid is answered 503 (verify later) without a Plaid
        // call; every other refusal is a 4xx.
        const budgeted = res.status === 503 && answer.includes('"verification_unavailable"');
        if (!budgeted) expect(res.status, `${input.kind}: ${answer}`).toBeLessThan(500);
        expect(res.status, `${input.kind} was accepted`).not.toBe(200);
        expect(await fingerprint()).toBe(before);
      }),
      { numRuns: WEBHOOK_CASES, seed: SEED },
    );
    const endHeap = heapMb();
    const accepted = await built.deps.metrics.registry.getSingleMetricAsString('plaid_webhooks_total');
    expect(accepted).not.toMatch(/outcome="(accepted|duplicate|orphan|ignored)"/);
    printFigures('fuzz-webhooks', {
      cases: WEBHOOK_CASES, statuses: Object.fromEntries(statuses), kinds: Object.fromEntries(kinds), accepted: 0, recorded: 0,
      heapMbAfterWarmup: Number(warmHeap.toFixed(1)), heapMbAtEnd: Number(endHeap.toFixed(1)),
    });
    expect(endHeap - warmHeap).toBeLessThan(25);
  }, 300_000);

  it(`answers ${REQUEST_CASES} malformed API and admin requests without a 5xx and records nothing it refused`, async () => {
    const doc = (await (await built.app.request('/api/openapi.json')).json()) as OpenApiDocument;
    const operations = operationsOf(doc);
    const adminRoutes = [
      ['GET', '/admin/items'], ['GET', '/admin/items/:id'], ['GET', '/admin/items/:id/row'], ['GET', '/admin/items/:id/live'],
      ['GET', '/admin/webhooks'], ['GET', '/admin/backfill'], ['GET', '/admin/login'], ['POST', '/admin/login'], ['POST', '/admin/logout'],
      ['POST', '/admin/items/refresh-all'], ['POST', '/admin/items/:id/resync'], ['POST', '/admin/items/:id/sync/:product'],
      ['POST', '/admin/items/:id/backfill/:product'], ['POST', '/admin/items/:id/check-status'], ['POST', '/admin/webhooks/:id/replay'],
      ['POST', '/admin/backfill/apply'], ['POST', '/admin/simulator/link'], ['POST', '/admin/simulator/items/:id/:action'], ['GET', '/admin/nope/:id'],
    ] as const;
    const param = fc.oneof(text, fc.uuid(), fc.constant(owned.id!), fc.constantFrom(...PRODUCTS, 'login-required'));
    const queryString = fc.option(fc.dictionary(fc.constantFrom('status', 'q', 'page', 'sort', 'limit', 'cursor', 'product'), text, { maxKeys: 3 }));
    const anyBody = fc.oneof(
      fc.constant(undefined),
      text,
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.dictionary(fc.constantFrom('password', 'product', 'products', 'public_token', 'item_id', 'account_id', 'institution_id', 'apply', 'count'), fc.oneof(text, fc.jsonValue({ maxDepth: 1 }))).map((v) => JSON.stringify(v)),
    );
    const contentType = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', undefined);
    const apiAuth = fc.oneof(
      fc.constant({ authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': owned.userId! }),
      fc.constant({ authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': randomUUID() }),
      headerText.map((user) => ({ authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': user })),
      headerText.map((token) => ({ authorization: `Bearer ${token}`, 'x-user-id': owned.userId! })),
      fc.constant({}),
    );
    const adminAuth = fc.oneof(
      fc.constant(session.headers()),
      fc.constant(session.headers({ 'x-csrf-token': 'forged' })),
      fc.constant(session.headers({ origin: 'https://evil.test' })),
      fc.constant({ cookie: session.cookie }),
      text.map((cookie) => ({ cookie: `plaid_admin_session=${encode(cookie)}`, origin: 'http://localhost' })),
      fc.constant({}),
    );
    const apiCase = fc.record({
      operation: fc.nat({ max: operations.length - 1 }), params: param, query: queryString, auth: apiAuth, contentType,
      body: fc.oneof(anyBody, fc.constant('sample')), method: fc.option(fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT'), { freq: 4 }),
    }).map((c) => {
      const { path, method, operation } = operations[c.operation]!;
      const ids = Object.fromEntries([...path.matchAll(/\{([^}]+)\}/g)].map((m) => [m[1]!, encode(c.params)]));
      return {
        surface: 'api', method: c.method ?? method.toUpperCase(), path: `/api${fillPath(doc, path, operation, ids)}`, query: c.query,
        headers: { ...c.auth, ...(c.contentType ? { 'content-type': c.contentType } : {}) },
        body: c.body === 'sample' ? sampleBody(doc, operation) : c.body,
      };
    });
    const adminCase = fc.record({ route: fc.constantFrom(...adminRoutes), params: param, query: queryString, auth: adminAuth, contentType, body: anyBody }).map((c) => ({
      surface: 'admin', method: c.route[0], path: c.route[1].replace(/:[a-z]+/g, () => encode(c.params)), query: c.query,
      headers: { ...c.auth, ...(c.contentType ? { 'content-type': c.contentType } : {}) }, body: c.body,
    }));

    const statuses = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(apiCase, adminCase), async (input) => {
        const before = await fingerprint();
        const query = input.query ? `?${new URLSearchParams(input.query).toString()}` : '';
        const sendsBody = input.body !== undefined && input.method !== 'GET';
        const res = await built.app.request(`${input.path}${query}`, { method: input.method, headers: input.headers, ...(sendsBody ? { body: input.body } : {}) });
        const answer = await res.text();
        scanner.scan(`${input.surface} response`, answer);
        const key = `${input.surface} ${res.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        expect(res.status, `${input.method} ${input.path}: ${answer.slice(0, 300)}`).toBeLessThan(500);
        if (res.status >= 400) expect(await fingerprint(), `${input.method} ${input.path} refused with ${res.status} but wrote`).toBe(before);
      }),
      { numRuns: REQUEST_CASES, seed: SEED },
    );
    scanner.scan('metrics', await built.deps.metrics.registry.metrics());
    printFigures('fuzz-requests', { cases: REQUEST_CASES, statuses: Object.fromEntries([...statuses].sort()), secrets: scanner.summary(), logLines: logCount.lines });
    expect(scanner.leaks).toEqual([]);
  }, 300_000);
});
