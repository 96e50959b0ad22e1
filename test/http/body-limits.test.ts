import { serve, type ServerType } from '@hono/node-server';
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackOrigins } from '../../src/config/public-origins.js';
import { TEST_ADMIN_PASSWORD, TEST_API_TOKEN, buildTestApp, testConfig } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/webhook-items.js';

// Small limits, so the test also shows the configuration is what counts.
const API_LIMIT = 4096;
const FORM_LIMIT = 2048;
const FORM_FIELDS = 8;
const MB = 2 ** 20;

let database: TestDatabase;
let built: ReturnType<typeof buildTestApp>;
let server: ServerType;
let base: string;

beforeAll(async () => {
  database = await createTestDatabase();
  // Requests arrive over a real socket, naming 127.0.0.1 and the port the server was given.
  built = buildTestApp(database, { config: testConfig({ apiMaxBodyBytes: API_LIMIT, adminMaxFormBytes: FORM_LIMIT, adminMaxFormFields: FORM_FIELDS, publicOrigins: loopbackOrigins(0) }) });
  server = serve({ fetch: built.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  form.origin = base;
});
afterAll(async () => {
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  await database?.drop();
});

const api = { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': randomUUID(), 'content-type': 'application/json' };
const form: OutgoingHttpHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

interface Upload {
  status: number;
  text: string;
  /** Bytes the client had written when the answer came. */
  written: number;
}

/**
 * Sends `total` bytes made by `chunkAt(offset)`, chunked unless `declared` is set, respecting
 * backpressure and stopping as soon as the answer arrives, as a client that reads answers would.
 */
function upload(path: string, options: { method?: string; headers: OutgoingHttpHeaders; total: number; chunkAt: (offset: number) => Buffer; declared?: boolean }): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const headers = { ...options.headers, ...(options.declared ? { 'content-length': options.total } : {}) };
    const req = httpRequest(`${base}${path}`, { method: options.method ?? 'POST', headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), written });
        req.destroy();
      });
    });
    // Once the server has answered and closed, writes fail; that is the expected end of a refused upload.
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const pump = () => {
      while (!answered && written < options.total) {
        const chunk = options.chunkAt(written).subarray(0, options.total - written);
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

const filler = (byte: string, size = 64 * 1024) => {
  const chunk = Buffer.alloc(size, byte);
  return () => chunk;
};

function expect413(result: Upload) {
  expect(result.status, result.text.slice(0, 200)).toBe(413);
  expect(JSON.parse(result.text)).toMatchObject({ error: { code: 'payload_too_large', requestId: expect.any(String) } });
}

describe('request body limits, enforced while the body streams', () => {
  it('answers 413 to a 100 MB chunked body on /admin, /api and any other route, long before its end', async () => {
    const cases = [
      { path: '/admin/login', headers: form, chunkAt: (offset: number) => Buffer.from(offset === 0 ? 'password=' : 'x'.repeat(64 * 1024)) },
      { path: `/api/accounts/${randomUUID()}/settings`, method: 'PATCH', headers: api, chunkAt: (offset: number) => Buffer.from(offset === 0 ? '{"notes":"' : 'y'.repeat(64 * 1024)) },
      { path: '/api/plaid/link-token', headers: api, chunkAt: filler(' ') },
      { path: '/healthz', headers: {}, chunkAt: filler('z') },
      { path: '/no-such-route', headers: {}, chunkAt: filler('z') },
    ];
    for (const { path, method, headers, chunkAt } of cases) {
      const result = await upload(path, { method, headers, total: 100 * MB, chunkAt });
      expect413(result);
      // What the client wrote before it saw the answer: socket buffers (a few MB on loopback) and
      // whatever `@hono/node-server` discarded after the 413, never the whole body.
      expect(result.written, path).toBeLessThan(32 * MB);
    }
  });

  it('answers 413 from a declared Content-Length before reading anything', async () => {
    const result = await upload('/api/plaid/link-token', { headers: api, total: 100 * MB, chunkAt: filler(' '), declared: true });
    expect413(result);
    expect(result.written).toBeLessThan(32 * MB);
    expect413(await upload('/admin/login', { headers: form, total: FORM_LIMIT + 1, chunkAt: filler('a'), declared: true }));
  });

  it('lets bodies up to the limit through, chunked or not', async () => {
    // Exactly the limit: valid JSON padded with spaces, for an account that does not exist.
    const json = '{"nickname":"x"}';
    const padded = json + ' '.repeat(API_LIMIT - json.length);
    for (const declared of [true, false]) {
      const result = await upload(`/api/accounts/${randomUUID()}/settings`, { method: 'PATCH', headers: api, total: API_LIMIT, chunkAt: () => Buffer.from(padded), declared });
      expect(result.status, result.text).toBe(404);
    }
    const login = `password=${encodeURIComponent(TEST_ADMIN_PASSWORD)}`;
    const result = await upload('/admin/login', { headers: form, total: login.length, chunkAt: () => Buffer.from(login) });
    expect(result.status).toBe(303);
    expect413(await upload(`/api/accounts/${randomUUID()}/settings`, { method: 'PATCH', headers: api, total: API_LIMIT + 1, chunkAt: () => Buffer.from(`${padded} `) }));
  });

  it('refuses forms with too many fields: two million empty fields, or more fields than configured', async () => {
    // The attack of issue 16: 6 MB of `a=&a=&…` ended the process with "heap out of memory".
    const fields = Buffer.from('a=&'.repeat(64 * 1024));
    const flood = await upload('/admin/login', { headers: form, total: 6 * MB, chunkAt: () => fields, declared: true });
    expect(flood.status).toBe(413);
    expect((await upload('/admin/login', { headers: form, total: 6 * MB, chunkAt: () => fields })).status).toBe(413);

    const many = `${'a=&'.repeat(FORM_FIELDS)}password=${encodeURIComponent(TEST_ADMIN_PASSWORD)}`;
    const tooMany = await upload('/admin/login', { headers: form, total: many.length, chunkAt: () => Buffer.from(many), declared: true });
    expect(tooMany.status).toBe(413);
    expect(tooMany.text).not.toContain(TEST_ADMIN_PASSWORD);
    const enough = `${'a=&'.repeat(FORM_FIELDS - 1)}password=${encodeURIComponent(TEST_ADMIN_PASSWORD)}`;
    expect((await upload('/admin/login', { headers: form, total: enough.length, chunkAt: () => Buffer.from(enough), declared: true })).status).toBe(303);
    // `__proto__` is just a field name.
    const proto = '__proto__=x&constructor=y&password=wrong';
    expect((await upload('/admin/login', { headers: form, total: proto.length, chunkAt: () => Buffer.from(proto), declared: true })).status).toBe(401);
  });
});

describe('uploads aborted mid-body', () => {
  /** Starts an upload, writes part of it, then drops the connection without waiting for an answer. */
  function abandon(path: string, headers: OutgoingHttpHeaders, declared: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const req = httpRequest(`${base}${path}`, { method: 'POST', headers: { ...headers, ...(declared ? { 'content-length': declared } : {}) } });
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      req.write(Buffer.alloc(1000, ' '), () => setImmediate(() => req.destroy()));
    });
  }

  async function abortedCount(): Promise<number> {
    const metric = await built.deps.metrics.httpRequestsAborted.get();
    return metric.values.reduce((sum, entry) => sum + entry.value, 0);
  }

  it('are logged at info without a stack and counted apart from server errors, on every surface', async () => {
    const before = await abortedCount();
    const targets: [string, OutgoingHttpHeaders][] = [
      ['/webhooks/plaid', { 'content-type': 'application/json', 'plaid-verification': 'x' }],
      ['/api/plaid/link-token', api],
      ['/admin/login', form],
    ];
    for (const [path, headers] of targets) {
      // Declared below every limit, so nothing refuses the upload before the client leaves.
      await abandon(path, headers, 2000);
      await abandon(path, headers, undefined);
    }
    await eventually(async () => ((await abortedCount()) - before === 6 ? true : undefined), 15_000, 'six aborted uploads counted');

    const durations = await built.deps.metrics.httpRequestDuration.get();
    const serverErrors = durations.values.filter((entry) => String(entry.labels.status).startsWith('5'));
    expect(serverErrors).toEqual([]);
    const logs = built.logs;
    expect(logs.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
    const aborted = logs.filter((line) => line.aborted === true);
    expect(aborted).toHaveLength(6);
    for (const line of aborted) expect(line).toMatchObject({ level: 'info', msg: 'request' });
    expect(JSON.stringify(logs)).not.toContain('"stack"');
    // The service still answers.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
