import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, linkThroughApi } from '../support/api-client.js';
import { buildTestApp, TEST_API_TOKEN } from '../support/app.js';
import { createTestDatabase } from '../support/database.js';
import { fillPath, operationsOf, resolve, sampleBody, sampleOf, type JsonSchema, type OpenApiDocument, type OpenApiOperation } from '../support/openapi-requests.js';
import { startTestSimulator } from '../support/simulator.js';

// The cases are generated from the OpenAPI document, so every /api route, including routes added
// later, gets them without anyone remembering to write them.
const database = await createTestDatabase();
const simulator = startTestSimulator();
const { app } = buildTestApp(database);
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
});
afterAll(async () => {
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

it('covers every documented route', () => {
  expect(operations.length).toBeGreaterThanOrEqual(8);
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
