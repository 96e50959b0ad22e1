import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD, TEST_API_TOKEN } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { serviceEnvironment, startAcknowledgingSimulator } from '../support/resilience-processes.js';
import { printFigures, size } from '../support/resilience-sizes.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';

const UPLOADS = 50;
const UPLOAD_BYTES = 100 * 2 ** 20;
const WARM_UP_REQUESTS = size(300, 3_000);
const MB = 2 ** 20;

/** The service's resident memory, from the kernel (Linux); 0 once the process is gone. */
function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples RSS every 20 ms while `work` runs; returns the highest value seen. */
async function peakRssDuring(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, rssBytes(pid));
}

/**
 * One 100 MB upload, its bytes made as they are written from one reused 64 KiB chunk (the test never
 * holds the body). Stops writing when the answer arrives, as a client reading answers would.
 */
function hugeUpload(url: string, headers: OutgoingHttpHeaders, declared: boolean): Promise<{ status: number; written: number }> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  return new Promise((resolve) => {
    let written = 0;
    let answered = false;
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, ...(declared ? { 'content-length': UPLOAD_BYTES } : {}) } }, (res) => {
      answered = true;
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, written });
        req.destroy();
      });
    });
    // A reset after the server refused and closed is how a refused upload ends; no answer at all is status 0.
    req.on('error', () => (answered ? undefined : resolve({ status: 0, written })));
    const pump = () => {
      while (!answered && written < UPLOAD_BYTES) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('50 concurrent 100 MB uploads against a service process', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startAcknowledgingSimulator>>;
  let setup: Awaited<ReturnType<typeof serviceEnvironment>>;
  let service: ServiceProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startAcknowledgingSimulator({ seed: 1616, timeScale: 1 });
    // The heap and allocator settings of `npm start`, so RSS is what production would see.
    setup = await serviceEnvironment({
      databaseUrl: database.url,
      plaidBaseUrl: simulator.url,
      extra: { WORKER_CONCURRENCY: '1', MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072', NODE_OPTIONS: '--max-semi-space-size=2 --max-old-space-size=160' },
    });
    service = await spawnService(setup.env);
  }, 90_000);
  afterAll(async () => {
    await service?.stop();
    await simulator?.close();
    await database?.drop();
    if (setup) await rm(setup.dataDir, { recursive: true, force: true });
  });

  /** Rows in every table: refused uploads record nothing. */
  async function rowCounts(): Promise<string> {
    const tables = await database.sql<{ tablename: string }[]>`select tablename from pg_tables where schemaname = 'public' order by 1`;
    const counts = await database.sql.unsafe(tables.map(({ tablename }) => `select '${tablename}' as t, count(*)::int as n from "${tablename}"`).join(' union all '));
    return [...counts].map((row) => `${row.t}=${row.n}`).join(',');
  }

  it('answers 413 to each, keeps RSS under the normal peak + 50 MB, records nothing and keeps serving', async () => {
    const pid = service.child.pid!;
    const api = { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': randomUUID(), 'content-type': 'application/json' };
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: service.url };
    const webhook = { 'content-type': 'application/json', 'plaid-verification': 'eyJhbGciOiJFUzI1NiJ9.e30.x' };

    // Normal traffic first: logins, API calls (Plaid through the simulator), refused webhooks, probes.
    const normal = [
      () => fetch(`${service.url}/admin/login`, { method: 'POST', headers: form, body: `password=${encodeURIComponent(TEST_ADMIN_PASSWORD)}`, redirect: 'manual' }),
      () => fetch(`${service.url}/admin/login`, { method: 'POST', headers: form, body: 'password=wrong' }),
      () => fetch(`${service.url}/api/plaid/link-token`, { method: 'POST', headers: api, body: JSON.stringify({ products: ['transactions'] }) }),
      () => fetch(`${service.url}/api/items`, { headers: api }),
      () => fetch(`${service.url}/webhooks/plaid`, { method: 'POST', headers: webhook, body: JSON.stringify({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: 'x' }) }),
      () => fetch(`${service.url}/healthz`),
      () => fetch(`${service.url}/metrics`),
    ];
    let sent = 0;
    const normalPeak = await peakRssDuring(pid, async () => {
      const worker = async () => {
        while (sent < WARM_UP_REQUESTS) {
          const res = await normal[sent++ % normal.length]!();
          await res.body?.cancel();
          expect(res.status).toBeLessThan(500);
        }
      };
      await Promise.all(Array.from({ length: 10 }, worker));
    });
    const before = await rowCounts();

    const targets: [string, OutgoingHttpHeaders][] = [
      [`${service.url}/admin/login`, form],
      [`${service.url}/api/plaid/link-token`, api],
      [`${service.url}/webhooks/plaid`, webhook],
    ];
    const results: { status: number; written: number }[] = [];
    const started = performance.now();
    const uploadPeak = await peakRssDuring(pid, async () => {
      results.push(
        ...(await Promise.all(
          Array.from({ length: UPLOADS }, (_, index) => {
            const [url, headers] = targets[index % targets.length]!;
            // Most are chunked, so the size is only known by counting; every fifth declares its length.
            return hugeUpload(url, headers, index % 5 === 0);
          }),
        )),
      );
    });
    const uploadsMs = Math.round(performance.now() - started);

    const health = await fetch(`${service.url}/healthz`).catch(() => ({ status: 0 }));
    const statuses = results.reduce<Record<number, number>>((count, result) => ({ ...count, [result.status]: (count[result.status] ?? 0) + 1 }), {});
    const errorLines = service.output().split('\n').filter((line) => /"level":(50|60)/.test(line) || /heap out of memory/i.test(line));
    printFigures('upload-memory', {
      uploads: UPLOADS, uploadMb: UPLOAD_BYTES / MB, normalPeakMb: Math.round(normalPeak / MB), uploadPeakMb: Math.round(uploadPeak / MB),
      maxWrittenMb: Math.round(Math.max(...results.map((r) => r.written)) / MB), uploadsMs, statuses, errorLines: errorLines.length,
    });

    expect(service.child.exitCode, errorLines.join('\n').slice(0, 2000)).toBeNull();
    expect(health.status).toBe(200);
    expect(statuses).toEqual({ 413: UPLOADS });
    expect(uploadPeak).toBeLessThan(normalPeak + 50 * MB);
    expect(await rowCounts()).toBe(before);
    expect(errorLines).toEqual([]);
  }, 240_000);
});
