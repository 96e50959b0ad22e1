import { Hono } from 'hono';
import type { Sql } from '../db/client.js';
import { pendingMigrationCount } from '../db/migrations.js';
import type { Metrics } from '../metrics/metrics.js';

/**
 * Readiness answers within this time whatever the database does (a connection attempt to a host that
 * drops packets can hang for the whole connect timeout). Probes should wait longer, e.g. 2 s, so the
 * 503 reaches them instead of their own timeout.
 */
export const READY_CHECK_TIMEOUT_MS = 1_000;

/** Where the process is in its life: ready only between a finished start-up and the first stop signal. */
export type ServicePhase = 'starting' | 'ready' | 'stopping';

export interface HealthDeps {
  sql: Sql;
  metrics: Metrics;
  readyCheckTimeoutMs?: number;
  /** Absent in tests that build the app alone: the app is then ready as soon as it exists. */
  phase?: () => ServicePhase;
}

interface ReadinessChecks {
  database: 'ok' | 'unreachable';
  migrations: 'current' | 'pending' | 'unknown';
}

const UNREACHABLE: ReadinessChecks = { database: 'unreachable', migrations: 'unknown' };

async function askDatabase(sql: Sql): Promise<ReadinessChecks> {
  await sql`select 1`;
  const pending = await pendingMigrationCount(sql).catch(() => -1);
  return { database: 'ok', migrations: pending === 0 ? 'current' : pending > 0 ? 'pending' : 'unknown' };
}

function withDeadline<T>(work: Promise<T>, timeoutMs: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The database part of readiness, one question at a time: while the database hangs, probes share the
 * question already asked instead of queueing one more query each behind it on the single connection
 * (they would all run, late, once the database answers).
 */
export function readinessCheck(sql: Sql, timeoutMs = READY_CHECK_TIMEOUT_MS): () => Promise<ReadinessChecks> {
  let asking: Promise<ReadinessChecks> | undefined;
  return () => {
    asking ??= askDatabase(sql)
      .catch(() => UNREACHABLE)
      .finally(() => {
        asking = undefined;
      });
    return withDeadline(asking, timeoutMs, UNREACHABLE);
  };
}

export function healthRoutes({ sql, metrics, readyCheckTimeoutMs, phase }: HealthDeps) {
  const check = readinessCheck(sql, readyCheckTimeoutMs);
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      // Still starting (demo items being linked, workers not up) or draining: not ready, whatever the database says.
      const current = phase?.() ?? 'ready';
      if (current !== 'ready') return c.json({ status: current, checks: {} }, 503);
      const checks = await check();
      const ready = checks.database === 'ok' && checks.migrations === 'current';
      return c.json({ status: ready ? 'ready' : 'unavailable', checks }, ready ? 200 : 503);
    })
    .get('/metrics', async (c) => {
      c.header('Content-Type', metrics.registry.contentType);
      return c.body(await metrics.registry.metrics());
    });
}
