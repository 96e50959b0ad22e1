import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError } from '../../src/http/errors.js';
import { validate } from '../../src/http/validation.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe('HTTP skeleton', () => {
  it('answers /healthz and /readyz when the database is migrated', async () => {
    const { app } = buildTestApp(database);
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'current' } });
  });

  it('reports not ready when migrations are missing', async () => {
    await database.sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`;
    try {
      const { app } = buildTestApp(database);
      const res = await app.request('/readyz');
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'unavailable', checks: { migrations: 'pending' } });
    } finally {
      // Put the row back so other tests see a current schema.
      await database.sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('restored', ${Date.now()})`;
    }
  });

  it('reports not ready when the database is unreachable', async () => {
    const { connectDatabase } = await import('../../src/db/client.js');
    const dead = connectDatabase('postgres://nobody:x@127.0.0.1:1/none', { max: 1 });
    const { app } = buildTestApp(database, { sql: dead.sql, db: dead.db });
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ checks: { database: 'unreachable' } });
    await dead.close();
  });

  it('exports Prometheus metrics with process defaults and the sync metrics', async () => {
    const { app, deps } = buildTestApp(database);
    deps.metrics.syncComplete.inc({ product: 'transactions' });
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('sync_complete_total{product="transactions"} 1');
    expect(text).toContain('# TYPE sync_latency_seconds histogram');
    expect(text).toContain('# TYPE sync_error_total counter');
  });

  it('answers unknown routes with the error shape and a request id', async () => {
    const { app } = buildTestApp(database);
    const res = await app.request('/nope', { headers: { 'X-Request-Id': 'req-123' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /nope', requestId: 'req-123' } });
  });

  it('turns zod failures into one readable 422 and app errors into their status', async () => {
    const { app } = buildTestApp(database);
    app.post('/probe', validate('json', z.object({ amount: z.number(), name: z.string() })), (c) => c.json(c.req.valid('json')));
    app.get('/conflict', () => {
      throw new ConflictError('duplicate', 'already there', { existing: 1 });
    });
    const bad = await app.request('/probe', { method: 'POST', body: JSON.stringify({ amount: 'x' }), headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(422);
    const body = (await bad.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.message).toMatch(/^amount: .+; name: .+$/);
    const conflict = await app.request('/conflict');
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: { code: 'duplicate', details: { existing: 1 } } });
  });

  it('hides unexpected errors behind a generic 500 and logs the details', async () => {
    const { app, logs } = buildTestApp(database);
    app.get('/boom', () => {
      throw new Error('relation "secret_table" does not exist');
    });
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { message: string; requestId: string } };
    expect(body.error.message).toBe('internal server error');
    expect(JSON.stringify(body)).not.toContain('secret_table');
    expect(logs.some((line) => line.msg === 'unhandled_error' && JSON.stringify(line).includes('secret_table'))).toBe(true);
    expect(logs.some((line) => line.msg === 'request' && line.status === 500 && line.requestId === body.error.requestId)).toBe(true);
  });

  it('redacts secrets that reach a log line', () => {
    const { deps, logs } = buildTestApp(database);
    deps.logger.info({ access_token: 'access-sandbox-abc', config: { headers: { 'PLAID-SECRET': 's3cr3t' } } }, 'probe');
    const line = JSON.stringify(logs.find((entry) => entry.msg === 'probe'));
    expect(line).not.toContain('access-sandbox-abc');
    expect(line).not.toContain('s3cr3t');
  });
});
