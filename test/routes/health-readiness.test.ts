import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, MAX_RECONNECT_DELAY_SECONDS, reconnectDelaySeconds, type DatabaseHandle } from '../../src/db/client.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { healthRoutes, type ServicePhase } from '../../src/routes/health.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTcpProxy, type TcpProxy } from '../support/resilience-tcp-proxy.js';
import { eventually } from '../support/webhook-items.js';

let database: TestDatabase;
let proxy: TcpProxy;
const opened: DatabaseHandle[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  proxy = await startTcpProxy(database.url);
});
afterEach(async () => {
  await proxy.setMode('forward');
  await Promise.all(opened.splice(0).map((handle) => handle.close()));
});
afterAll(async () => {
  await proxy?.close();
  await database?.drop();
});

function throughProxy(options: Parameters<typeof connectDatabase>[1] = {}): DatabaseHandle {
  const handle = connectDatabase(proxy.url(database.url), options);
  opened.push(handle);
  return handle;
}

async function readyz(app: ReturnType<typeof healthRoutes>) {
  const res = await app.request('/readyz');
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
}

describe('reconnect delay', () => {
  it('starts at a few tens of milliseconds and never exceeds one second, whatever the number of failures', () => {
    expect(reconnectDelaySeconds(1, () => 1)).toBeCloseTo(0.05);
    expect(reconnectDelaySeconds(1, () => 0)).toBeCloseTo(0.025);
    for (let failures = 0; failures <= 60; failures++) {
      expect(reconnectDelaySeconds(failures, () => 1)).toBeLessThanOrEqual(MAX_RECONNECT_DELAY_SECONDS);
      expect(reconnectDelaySeconds(failures, () => 0)).toBeGreaterThan(0);
    }
    expect(reconnectDelaySeconds(60, () => 1)).toBe(MAX_RECONNECT_DELAY_SECONDS);
  });
});

describe('a pool across a database outage', () => {
  it('fails queries while the database is away and answers the first one after it is back', async () => {
    const pool = throughProxy({ max: 3 });
    expect(await pool.sql`select 1 as one`).toEqual([{ one: 1 }]);
    await proxy.setMode('refuse');
    // Enough failed attempts that postgres.js's own schedule would wait 10 to 20 s before the next one.
    for (let attempt = 0; attempt < 10; attempt++) await expect(pool.sql`select 1`).rejects.toThrow();
    await proxy.setMode('forward');
    expect(await pool.sql`select 1 as one`).toEqual([{ one: 1 }]);
  });
});

describe('/readyz across a database outage', () => {
  it('answers 503 while the database is away and 200 once it is back', async () => {
    const health = throughProxy({ max: 1 });
    const app = healthRoutes({ sql: health.sql, metrics: createMetrics() });
    expect(await readyz(app)).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', migrations: 'current' } } });
    await proxy.setMode('refuse');
    for (let probe = 0; probe < 8; probe++) {
      expect(await readyz(app)).toEqual({ status: 503, body: { status: 'unavailable', checks: { database: 'unreachable', migrations: 'unknown' } } });
    }
    await proxy.setMode('forward');
    await eventually(async () => ((await readyz(app)).status === 200 ? true : undefined), 15_000, 'ready again');
  });

  it('answers 503 when the database accepts but never answers, and concurrent probes share one question', async () => {
    const health = throughProxy({ max: 1, connectTimeoutSeconds: 2 });
    const app = healthRoutes({ sql: health.sql, metrics: createMetrics(), readyCheckTimeoutMs: 100 });
    await proxy.setMode('hang');
    const answers = await Promise.all(Array.from({ length: 5 }, () => readyz(app)));
    expect(answers.map((answer) => answer.status)).toEqual([503, 503, 503, 503, 503]);
    expect(answers[0]!.body.checks).toEqual({ database: 'unreachable', migrations: 'unknown' });
    expect((await readyz(app)).status).toBe(503);
    // Six probes, one connection attempt: the question still waiting is shared, not queued again.
    expect(proxy.accepted()).toBe(1);
    await proxy.setMode('forward');
    // The hung attempt gives up at the connect timeout; the next one reaches the database.
    await eventually(async () => ((await readyz(app)).status === 200 ? true : undefined), 15_000, 'ready again');
  });
});

describe('readiness across the service life', () => {
  it('answers 503 while the service starts or drains, whatever the database says, and 200 only once started', async () => {
    let phase: ServicePhase = 'starting';
    const app = healthRoutes({ sql: database.sql, metrics: createMetrics(), phase: () => phase });
    expect(await readyz(app)).toEqual({ status: 503, body: { status: 'starting', checks: {} } });
    phase = 'ready';
    expect((await readyz(app)).status).toBe(200);
    phase = 'stopping';
    expect(await readyz(app)).toEqual({ status: 503, body: { status: 'stopping', checks: {} } });
  });
});
