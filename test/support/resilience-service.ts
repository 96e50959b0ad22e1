import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps } from '../../src/app.js';
import type { Config } from '../../src/config/load-config.js';
import { connectDatabase } from '../../src/db/client.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createInstrumentedPlaidClient } from '../../src/plaid/instrumented-client.js';
import { startQueueService, type QueueService } from '../../src/queue/queue-service.js';
import { createSyncEngine } from '../../src/sync/sync-engine.js';
import { TokenVault } from '../../src/vault/token-vault.js';
import { captureLogs, testConfig } from './app.js';
import type { TestDatabase } from './database.js';

export interface InstrumentedService {
  url: string;
  deps: AppDeps;
  queue: QueueService;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

/**
 * The service wired as `startService` wires it (instrumented Plaid client with its timeout, the sync
 * engine on its own pool, pg-boss queue and workers, HTTP server), in this process, so a test can
 * read its metrics registry and log lines directly.
 */
export async function startInstrumentedService(
  database: TestDatabase,
  options: { plaidBaseUrl: string; plaidTimeoutMs: number; config?: Partial<Config> },
): Promise<InstrumentedService> {
  const config = testConfig({ ...options.config });
  config.plaid = { ...config.plaid, baseUrl: options.plaidBaseUrl };
  const { lines, logger } = captureLogs();
  const metrics = createMetrics();
  const vault = new TokenVault(config.keyring);
  const plaid = createInstrumentedPlaidClient({ ...config.plaid, timeoutMs: options.plaidTimeoutMs }, metrics);
  const syncDatabase = connectDatabase(database.url, { max: config.workerConcurrency * 3 + 2 });
  const engine = createSyncEngine({ db: syncDatabase.db, sql: syncDatabase.sql, plaid, vault, logger, metrics });
  const queue = await startQueueService({ config, databaseUrl: database.url, db: database.db, sql: database.sql, plaid, vault, logger, metrics, engine });
  const deps: AppDeps = { config, db: database.db, sql: database.sql, logger, metrics, vault, plaid, syncs: queue.syncs, queue: queue.queue };
  const server = await new Promise<ServerType>((resolve) => {
    const instance = serve({ fetch: createApp(deps).fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(instance));
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

/** `name{labels} value` lines of one metric, as label objects with their values. */
export async function metricValues(deps: Pick<AppDeps, 'metrics'>, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = deps.metrics.registry.getSingleMetric(name);
  if (!metric) return [];
  const { values } = await metric.get();
  return values.map((entry) => ({ labels: entry.labels as Record<string, string | number>, value: entry.value }));
}
