import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps } from '../../src/app.js';
import { connectDatabase } from '../../src/db/client.js';
import type { Config } from '../../src/config/load-config.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createInstrumentedPlaidClient } from '../../src/plaid/instrumented-client.js';
import { startQueueService, type QueueService } from '../../src/queue/queue-service.js';
import { createSyncEngine, type SyncEngineOptions } from '../../src/sync/sync-engine.js';
import { TokenVault } from '../../src/vault/token-vault.js';
import { createIntakePressure, IntakeBursts } from '../../src/webhooks/intake-pressure.js';
import { captureLogs, testConfig } from './app.js';
import type { TestDatabase } from './database.js';

export interface RunningTestService {
  url: string;
  deps: AppDeps;
  queue: QueueService;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface TestServiceOptions {
  plaidBaseUrl: string;
  plaidTimeoutMs?: number;
  /** Engine timings; by default short, so a test sees a dead run taken over quickly. */
  engine?: Pick<SyncEngineOptions, 'heartbeatMs' | 'staleAfterMs'>;
  config?: Partial<Config>;
  /** The intake pressure's hold after a burst batch (200 ms in the service). */
  intakeHoldMs?: number;
}

/**
 * The service as `startService` wires it (instrumented Plaid client, sync engine on its own pool,
 * pg-boss queue and workers, HTTP server), in this process, on a test database, talking to Plaid (a
 * simulator server) over real HTTP, so a test can read its metrics registry and log lines directly.
 */
export async function startTestService(database: TestDatabase, options: TestServiceOptions): Promise<RunningTestService> {
  const config = testConfig({ ...options.config });
  config.plaid = { ...config.plaid, baseUrl: options.plaidBaseUrl };
  const { lines, logger } = captureLogs();
  const metrics = createMetrics();
  const vault = new TokenVault(config.keyring);
  const plaid = createInstrumentedPlaidClient({ ...config.plaid, timeoutMs: options.plaidTimeoutMs ?? 10_000 }, metrics);
  // As in the service: the sync engine on a pool of its own.
  const syncDatabase = connectDatabase(database.url, { max: config.workerConcurrency * 3 + 2 });
  const engine = createSyncEngine({ db: syncDatabase.db, sql: syncDatabase.sql, plaid, vault, logger, metrics, ...(options.engine ?? { heartbeatMs: 500, staleAfterMs: 5_000 }) });
  // As in the service: one burst signal for the workers' pauses and the dispatcher.
  const intakeBursts = new IntakeBursts(options.intakeHoldMs === undefined ? {} : { holdMs: options.intakeHoldMs });
  const intakePressure = createIntakePressure(config, metrics, { bursts: intakeBursts });
  const queue = await startQueueService({
    config, databaseUrl: database.url, db: database.db, sql: database.sql, plaid, vault, logger, metrics, engine, intakePressure,
  });
  const deps: AppDeps = { config, db: database.db, sql: database.sql, logger, metrics, vault, plaid, syncs: queue.syncs, queue: queue.queue, intakeBursts };
  const app = createApp(deps);
  const server = await new Promise<ServerType>((resolve) => {
    const instance = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(instance));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    queue,
    logs: lines,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await queue.stop();
      await syncDatabase.close();
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
