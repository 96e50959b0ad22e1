import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAsAdmin } from '../support/admin.js';
import { apiClient, linkThroughApi } from '../support/api-client.js';
import { TEST_API_TOKEN, buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { fillPath, operationsOf, sampleBody, type OpenApiDocument } from '../support/openapi-requests.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';

const SEED = 1616;

let database: TestDatabase;
let built: ReturnType<typeof buildTestApp>;
let simulator: TestSimulator;
const userId = randomUUID();
let accountId: string;
let itemId: string;
const auth = () => ({ authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': userId });

beforeAll(async () => {
  database = await createTestDatabase();
  simulator = startTestSimulator();
  built = buildTestApp(database);
  const linked = await linkThroughApi(apiClient(built.app, userId), simulator.control);
  expect(linked.status).toBe(201);
  itemId = linked.body.item.id as string;
  accountId = linked.body.item.accounts[0].id as string;
});
afterAll(async () => {
  await simulator?.close();
  await database?.drop();
});

/** A 4xx in the one error shape, with the request id the answer header carries. */
async function expectErrorShape(res: Response, status?: number) {
  const text = await res.text();
  if (status !== undefined) expect(res.status, text).toBe(status);
  expect(res.status, text).toBeGreaterThanOrEqual(400);
  expect(res.status, text).toBeLessThan(500);
  const body = JSON.parse(text) as { error: { code: string; message: string; requestId: string } };
  expect(body.error).toMatchObject({ code: expect.any(String), message: expect.any(String), requestId: res.headers.get('x-request-id') });
  return body.error;
}

const cursorOf = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const transactions = (cursor: string) => built.app.request(`/api/accounts/${accountId}/transactions?cursor=${encodeURIComponent(cursor)}`, { headers: auth() });

describe('malformed transaction cursors', () => {
  it('answers 422 for a year-0000 date, a NUL in the id and other odd cursors, and pages from real ones', async () => {
    const odd = [
      // PostgreSQL can take neither: these answered 500.
      cursorOf(['0000-01-01', 'txn']), cursorOf(['0000-12-31', 'txn']), cursorOf(['2026-01-01', 'tx\u0000n']), cursorOf(['2026-01-01', '\u0000']),
      '!!!', cursorOf('null'), cursorOf('[]'), cursorOf('{"a":1}'), cursorOf([1, 2]), cursorOf(['2026-02-30', 'a']), cursorOf(['2026-01-01', '']),
      cursorOf(['2026-01-01', 'a'.repeat(257)]), cursorOf(['+02026-01-01', 'a']), cursorOf(['2026-01-01', 'a', 'b']), cursorOf('['.repeat(10_000)),
      Buffer.from([0xff, 0xfe, 0x00]).toString('base64url'),
    ];
    for (const cursor of odd) {
      const error = await expectErrorShape(await transactions(cursor), 422);
      expect(error).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/^cursor: /) });
    }
    expect((await transactions(cursorOf(['2026-01-01', 'tx\ud800']))).status).toBe(200);
    expect((await transactions(cursorOf(['9999-12-31', 'txn']))).status).toBe(200);
    expect((await transactions(cursorOf(['0001-01-01', 'txn']))).status).toBe(200);
  });

  it('never answers 5xx for any date-like string and any id', async () => {
    const year = fc.integer({ min: 0, max: 10_000 }).map((n) => String(n).padStart(4, '0'));
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const date = fc.tuple(year, two(13), two(32)).map(([y, m, d]) => `${y}-${m}-${d}`);
    const id = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }).map((s) => `${s}\u0000`));
    await fc.assert(
      fc.asyncProperty(date, id, async (d, i) => {
        const res = await transactions(cursorOf([d, i]));
        expect(res.status, `${d} ${JSON.stringify(i)}`).toBeLessThan(500);
        await res.body?.cancel();
      }),
      { numRuns: 100, seed: SEED },
    );
  }, 90_000);
});

describe('odd path and query values on every /api route', () => {
  const odd = [
    'a'.repeat(10_000), '%00', 'a%00b', '\u0000', '😀'.repeat(500), '\ud800', '%ff%fe', '..%2f..%2f', '-1', '0', '1e309', '99999999999999999999999',
    '-99999999999999999999', 'NaN', 'Infinity', '0x10', ' ', '%20', '[]', '{}', '00000000-0000-0000-0000-000000000000',
  ];

  it('answers 4xx in the error shape, never 5xx, whatever the path parameters and query hold', async () => {
    const doc = (await (await built.app.request('/api/openapi.json')).json()) as OpenApiDocument;
    const cursors = [cursorOf(['0000-01-01', 'a']), cursorOf(['2026-01-01', 'a\u0000'])];
    const value = fc.oneof(fc.constantFrom(...odd, ...cursors), fc.string({ unit: 'binary', maxLength: 80 }), fc.constant(accountId), fc.constant(itemId));
    // Pre-encoded values (`%00`) go as they are; a lone surrogate goes as U+FFFD, as a client would send it.
    const encode = (text: string) => (text.includes('%') ? text : encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8')));
    const operations = operationsOf(doc);
    const transactionsIndex = operations.findIndex((operation) => operation.path === '/accounts/{id}/transactions');
    expect(transactionsIndex).toBeGreaterThanOrEqual(0);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: operations.length - 1 }), value, value, value, async (index, param, limit, cursor) => {
        const { path, method, operation } = operations[index]!;
        const ids = Object.fromEntries([...path.matchAll(/\{([^}]+)\}/g)].map((m) => [m[1]!, encode(param)]));
        const url = `/api${fillPath(doc, path, operation, ids)}?limit=${encode(limit)}&cursor=${encode(cursor)}&product=${encode(param)}`;
        const body = sampleBody(doc, operation);
        const res = await built.app.request(url, {
          method: method.toUpperCase(),
          headers: { ...auth(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body }),
        });
        if (res.status >= 400) await expectErrorShape(res);
        else await res.body?.cancel();
      }),
      // The cursors that answered 500 are tried first, on the one route that reads a cursor.
      { numRuns: 400, seed: SEED, examples: cursors.map((cursor) => [transactionsIndex, accountId, '10', cursor] as [number, string, string, string]) },
    );
  }, 90_000);

  it('answers 4xx for odd JSON bodies: past the size limit, NUL, huge numbers, deep nesting, wrong types', async () => {
    const settings = `/api/accounts/${accountId}/settings`;
    const send = (path: string, method: string, body: string) =>
      built.app.request(path, { method, headers: { ...auth(), 'content-type': 'application/json' }, body });
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const big = `{"notes":"${'n'.repeat(built.deps.config.apiMaxBodyBytes)}"}`;
    for (const [path, method] of [[settings, 'PATCH'], ['/api/plaid/link-token', 'POST'], ['/api/plaid/transactions/exchange', 'POST']] as const) {
      expect((await expectErrorShape(await send(path, method, big), 413)).code).toBe('payload_too_large');
    }
    for (const body of [deep, `{"nickname":${deep}}`, '{"nickname":1e999}', '{"notes":{"__proto__":{"x":1}}}', '{"payment_status":"a\\u0000"}', '\u0000', '{"nickname":"x"', '']) {
      await expectErrorShape(await send(settings, 'PATCH', body));
    }
    for (const body of [deep, '{"products":["transactions\\u0000"]}', '{"products":[1e999]}']) await expectErrorShape(await send('/api/plaid/link-token', 'POST', body));
  });
});

describe('odd query and path values on the admin pages', () => {
  it('never answers 5xx: NUL, lone surrogates, huge and out-of-range values in the list filters and ids', async () => {
    const session = await loginAsAdmin(built.app);
    const odd = ['%00', 'a%00b', '%ED%A0%80', '%ff', 'a'.repeat(5000), '1e309', '-1', '99999999999999999999', '%25', '_', '\\'];
    const paths: string[] = [];
    for (const value of odd) {
      for (const name of ['q', 'status', 'product', 'sort', 'dir', 'page']) paths.push(`/admin/items?${name}=${value}`);
      paths.push(`/admin/items/${value}`, `/admin/items/${value}/row`, `/admin/items/${value}/live`, `/admin/webhooks?outcome=${value}`);
    }
    for (const path of paths) {
      const res = await built.app.request(path, { headers: { cookie: session.cookie } });
      expect(res.status, `${path}: ${(await res.text()).slice(0, 200)}`).toBeLessThan(500);
    }
  }, 90_000);
});

describe('request ids', () => {
  const idOf = async (offered: string) => {
    const res = await built.app.request('/healthz', { headers: { 'x-request-id': offered } });
    return res.headers.get('x-request-id')!;
  };

  it('keeps a well-formed client id (1 to 64 of A-Z a-z 0-9 . _ -)', async () => {
    for (const id of ['a', 'req-123', 'A.b_C-9', 'x'.repeat(64)]) expect(await idOf(id)).toBe(id);
  });

  it('replaces any other id with a fresh one, which is what the error body and the log carry', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const bad of ['x'.repeat(65), 'x'.repeat(255), 'a=b', 'a b', 'a/b', '{"level":60}', 'a"b', 'a\tb', 'é']) {
      const replaced = await idOf(bad);
      expect(replaced, bad).toMatch(uuid);
    }
    const res = await built.app.request('/nope', { headers: { 'x-request-id': 'forged=id' } });
    const error = await expectErrorShape(res, 404);
    expect(error.requestId).toMatch(uuid);
    expect(JSON.stringify(built.logs)).not.toContain('forged=id');
    expect(JSON.stringify(built.logs)).not.toContain('x'.repeat(65));
  });
});

describe('admin static assets', () => {
  it('serves only the listed files: prototype keys and other names answer 404 without a cache header', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__', 'propertyIsEnumerable', 'nope.js']) {
      const res = await built.app.request(`/admin/static/${name}?v=x`);
      expect(res.status, name).toBe(404);
      expect(res.headers.get('cache-control') ?? '', name).not.toContain('immutable');
      await res.body?.cancel();
    }
    for (const name of ['htmx.min.js', 'admin.js', 'admin.css']) expect((await built.app.request(`/admin/static/${name}`)).status, name).toBe(200);
  });
});
