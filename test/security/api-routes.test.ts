import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, linkThroughApi } from '../support/api-client.js';
import { buildTestApp, TEST_API_TOKEN } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { fillPath, operationsOf, resolve, sampleBody, sampleOf, type JsonSchema, type OpenApiDocument, type OpenApiOperation } from '../support/openapi-requests.js';
import { startTestSimulator } from '../support/simulator.js';
import { syncHarness } from '../support/sync-harness.js';

// The cases are generated from the OpenAPI document, so every /api route, including routes added
// later, gets them without anyone remembering to write them.
const database = await createTestDatabase();
const simulator = startTestSimulator();
const harness = syncHarness(database);
const { app } = buildTestApp(database, { vault: harness.vault });
const doc = (await (await app.request('/api/openapi.json')).json()) as OpenApiDocument;
const operations = operationsOf(doc);

/** The resource an `{id}` stands for, named by the path segment before it. */
const owned: Record<string, string> = {};
const owner = apiClient(app);

beforeAll(async () => {
  const linked = await linkThroughApi(owner, simulator.control);
  expect(linked.status).toBe(201);
  owned.items = linked.body.item.id as string;
  owned.accounts = linked.body.item.accounts[0].id as string;
  // A security exists for a user only once an investments sync has stored a holding of it.
  const brokerage = await linkThroughApi(owner, simulator.control, { institutionId: 'ins_sim_brokerage', products: ['investments'], product: 'investments' });
  expect(brokerage.status).toBe(201);
  expect(await harness.engine.run({ itemId: brokerage.body.item.id as string, product: 'investments', trigger: 'api' })).toMatchObject({ status: 'succeeded' });
  owned.securities = simulator.control.holdingsTruth(brokerage.plaidItemId).holdings[0]!.security_id;
});
afterAll(async () => {
  await harness.engine.stop(0);
  await simulator.close();
  await database.drop();
});

function send(path: string, method: string, operation: OpenApiOperation, headers: Record<string, string>, ids: Record<string, string> = {}, json?: unknown) {
  const body = json === undefined ? sampleBody(doc, operation) : JSON.stringify(json);
  return app.request(`/api${fillPath(doc, path, operation, ids)}`, {
    method: method.toUpperCase(),
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
}

/** Body fields that name one of the owner's resources (`item_id`, `account_id`), by resource. */
const BODY_ID_FIELDS: Record<string, string> = { item_id: 'items', account_id: 'accounts' };

function bodyIdFields(operation: OpenApiOperation): { field: string; schema: JsonSchema } | undefined {
  const schema = operation.requestBody?.content['application/json']?.schema;
  if (!schema) return undefined;
  const body = resolve(doc, schema);
  const field = Object.keys((body.properties ?? {}) as Record<string, unknown>).find((name) => name in BODY_ID_FIELDS);
  return field ? { field, schema: body } : undefined;
}

/** Only the required fields (sampled) plus the id field: the smallest valid body naming the resource. */
function bodyNaming(body: JsonSchema, field: string, id: string) {
  const properties = (body.properties ?? {}) as Record<string, JsonSchema>;
  const required = ((body.required ?? []) as string[]).filter((name) => name !== field);
  return { ...Object.fromEntries(required.map((name) => [name, sampleOf(doc, properties[name]!)])), [field]: id };
}

const bearer = { authorization: `Bearer ${TEST_API_TOKEN}` };

/** For each constrained query parameter, one value its schema refuses: past a bound, not a date, not a uuid, not in the enum. */
function invalidQueryValues(operation: OpenApiOperation): { name: string; value: string }[] {
  return (operation.parameters ?? [])
    .filter((p) => p.in === 'query' && p.schema)
    .flatMap((p) => {
      const schema = resolve(doc, p.schema!);
      const item = schema.type === 'array' ? resolve(doc, schema.items as JsonSchema) : schema;
      const values: string[] = [];
      if (typeof item.minimum === 'number') values.push(String(item.minimum - 1));
      if (typeof item.maximum === 'number') values.push(String(item.maximum + 1));
      if (item.format === 'date') values.push('2026-02-30');
      if (item.format === 'uuid') values.push('not-a-uuid');
      if (Array.isArray(item.enum)) values.push('not-a-listed-value');
      if (p.name === 'cursor') values.push('bm90IGEgY3Vyc29y');
      return values.map((value) => ({ name: p.name, value }));
    });
}

it('covers every documented route', () => {
  expect(operations.length).toBeGreaterThanOrEqual(15);
});

describe.each(operations.map((o) => [o.method.toUpperCase(), o.path, o] as const))('%s %s', (method, path, { operation }) => {
  const userId = randomUUID();

  it('answers 401 without a token', async () => {
    const res = await send(path, method, operation, { 'x-user-id': userId });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized', requestId: expect.any(String) } });
  });

  it.each([['Bearer wrong-token'], [`Basic ${TEST_API_TOKEN}`], [`Bearer ${TEST_API_TOKEN}x`], ['Bearer']])('answers 401 for Authorization: %s', async (authorization) => {
    const res = await send(path, method, operation, { authorization, 'x-user-id': userId });
    expect(res.status).toBe(401);
  });

  it('answers 422 without X-User-Id', async () => {
    const res = await send(path, method, operation, bearer);
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: { code: 'validation_failed', message: 'X-User-Id: header is required' } });
  });

  it.each([['not-a-uuid'], [''], ['12345'], [`${randomUUID()}x`]])('answers 422 for X-User-Id "%s"', async (malformed) => {
    const res = await send(path, method, operation, { ...bearer, 'x-user-id': malformed });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^X-User-Id: /);
  });

  const idParams = [...path.matchAll(/\/([^/]+)\/\{id\}/g)].map((m) => m[1]!);
  // Only routes that name a resource get the ownership cases; generating them elsewhere would only skip.
  if (idParams.length > 0) it('answers 404 for another user’s resource', async () => {
    const resource = idParams[0]!;
    expect(owned[resource], `no owned resource for "/${resource}/{id}"; add one in beforeAll`).toBeDefined();
    const res = await send(path, method, operation, { ...bearer, 'x-user-id': randomUUID() }, { id: owned[resource]! });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  if (idParams.length > 0) it('answers 404 for an id that does not exist', async () => {
    const res = await send(path, method, operation, { ...bearer, 'x-user-id': owner.userId });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  if (idParams.length > 0) it('answers 422 for a malformed id', async () => {
    const res = await send(path, method, operation, { ...bearer, 'x-user-id': owner.userId }, { id: 'not%20an%20id!' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^id: /);
  });

  for (const { name, value } of invalidQueryValues(operation)) {
    it(`answers 422 for the query ${name}=${value}`, async () => {
      const target = `/api${fillPath(doc, path, operation, { id: owned[idParams[0] ?? ''] ?? '' })}?${new URLSearchParams({ [name]: value }).toString()}`;
      const res = await app.request(target, { method, headers: { ...bearer, 'x-user-id': owner.userId } });
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(new RegExp(`^${name}`));
    });
  }

  if (method === 'GET') it('answers 200 to the owner', async () => {
    const ids = Object.fromEntries(idParams.map(() => ['id', owned[idParams[0]!]!]));
    const res = await send(path, method, operation, { ...bearer, 'x-user-id': owner.userId }, ids);
    expect(res.status).toBe(200);
  });

  const bodyId = bodyIdFields(operation);
  if (bodyId !== undefined) it('answers 404 when the body names another user’s resource', async () => {
    const { field, schema } = bodyId;
    const res = await send(path, method, operation, { ...bearer, 'x-user-id': randomUUID() }, {}, bodyNaming(schema, field, owned[BODY_ID_FIELDS[field]!]!));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

it('left the owner’s item untouched by all those requests', async () => {
  const res = await owner.get(`/items/${owned.items}`);
  expect(res.body).toMatchObject({ status: 'active' });
  expect(res.body.accounts[0].settings).toEqual({ nickname: null, notes: null, payment_status: null });
});
