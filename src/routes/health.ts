import { Hono } from 'hono';
import type { Sql } from '../db/client.js';
import { pendingMigrationCount } from '../db/migrations.js';
import type { Metrics } from '../metrics/metrics.js';

const READY_CHECK_TIMEOUT_MS = 2_000;

export interface HealthDeps {
  sql: Sql;
  metrics: Metrics;
}

async function databaseCheck(sql: Sql): Promise<{ database: 'ok' | 'unreachable'; migrations: 'current' | 'pending' | 'unknown' }> {
  try {
    // While the database is down a new connection can take seconds to fail; readiness answers in two.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('database check timed out')), READY_CHECK_TIMEOUT_MS);
    });
    await Promise.race([sql`select 1`, timeout]).finally(() => clearTimeout(timer));
  } catch {
    return { database: 'unreachable', migrations: 'unknown' };
  }
  const pending = await pendingMigrationCount(sql).catch(() => -1);
  return { database: 'ok', migrations: pending === 0 ? 'current' : pending > 0 ? 'pending' : 'unknown' };
}

export function healthRoutes({ sql, metrics }: HealthDeps) {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const checks = await databaseCheck(sql);
      const ready = checks.database === 'ok' && checks.migrations === 'current';
      return c.json({ status: ready ? 'ready' : 'unavailable', checks }, ready ? 200 : 503);
    })
    .get('/metrics', async (c) => {
      c.header('Content-Type', metrics.registry.contentType);
      return c.body(await metrics.registry.metrics());
    });
}
