import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTS } from '../../../src/db/schema/products.js';
import { buildTestApp } from '../../support/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { HTTP_METHODS, operationsOf, resolve, type JsonSchema, type OpenApiDocument } from '../../support/openapi-requests.js';

let database: TestDatabase;
let doc: OpenApiDocument;
beforeAll(async () => {
  database = await createTestDatabase();
  const { app } = buildTestApp(database);
  const res = await app.request('/api/openapi.json');
  expect(res.status).toBe(200);
  doc = (await res.json()) as OpenApiDocument;
});
afterAll(async () => {
  await database.drop();
});

const ROUTES = [
  ['post', '/plaid/link-token', 200, true],
  ['post', '/plaid/transactions/exchange', 201, true],
  ['get', '/items', 200, false],
  ['get', '/items/{id}', 200, false],
  ['delete', '/items/{id}', 200, false],
  ['post', '/items/{id}/reauth-complete', 200, false],
  ['get', '/accounts/{id}/transactions', 200, false],
  ['patch', '/accounts/{id}/settings', 200, true],
] as const;

function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => (key === '$ref' && typeof inner === 'string' ? [inner] : refsIn(inner)));
}

describe('GET /api/openapi.json', () => {
  it('is an OpenAPI 3.1 document with the app-token security scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components?.securitySchemes?.appToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it.each(ROUTES)('documents %s %s with its request and response schemas', (method, path, success, hasBody) => {
    const operation = doc.paths[path]?.[method];
    expect(operation, `${method} ${path}`).toBeDefined();
    expect(operation!.security).toEqual([{ appToken: [] }]);
    const successSchema = operation!.responses[String(success)]?.content?.['application/json']?.schema;
    expect(successSchema).toBeDefined();
    expect(resolve(doc, successSchema!)).toEqual(expect.any(Object));
    for (const status of ['401', '422']) {
      expect(operation!.responses[status]?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' });
    }
    if (hasBody) expect(operation!.requestBody?.content['application/json']?.schema).toBeDefined();
    else expect(operation!.requestBody).toBeUndefined();
    expect(operation!.parameters?.some((p) => p.in === 'header' && p.name === 'x-user-id')).toBe(true);
  });

  it('is well formed: path parameters declared, methods known, every $ref resolvable', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith('/'), path).toBe(true);
      for (const method of Object.keys(item)) expect(HTTP_METHODS as readonly string[], `${method} ${path}`).toContain(method);
    }
    for (const { path, method, operation } of operationsOf(doc)) {
      for (const name of [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])) {
        expect(operation.parameters?.find((p) => p.in === 'path' && p.name === name), `${method} ${path} {${name}}`).toMatchObject({ required: true });
      }
      expect(operation.security, `${method} ${path}`).toEqual([{ appToken: [] }]);
      expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '422']));
      for (const response of Object.values(operation.responses)) expect(typeof response.description).toBe('string');
    }
    for (const ref of refsIn(doc)) expect(() => resolve(doc, { $ref: ref }), ref).not.toThrow();
  });

  it('describes the exchange contract: product enum, error shape, amounts as strings', () => {
    const exchange = resolve(doc, doc.paths['/plaid/transactions/exchange']!.post!.requestBody!.content['application/json']!.schema);
    expect((exchange.required as string[]) ?? []).toEqual(['public_token']);
    expect(resolve(doc, { $ref: '#/components/schemas/Product' }).enum).toEqual([...PRODUCTS]);
    const transaction = resolve(doc, { $ref: '#/components/schemas/Transaction' });
    expect((transaction.properties as Record<string, JsonSchema>).amount!.type).toBe('string');
    const error = resolve(doc, { $ref: '#/components/schemas/Error' });
    expect(((error.properties as Record<string, JsonSchema>).error!.required as string[]).sort()).toEqual(['code', 'message', 'requestId']);
  });
});
