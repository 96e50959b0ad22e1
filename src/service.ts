import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import type { Config } from './config/load-config.js';
import { connectDatabase } from './db/client.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres.js';
import { runMigrations } from './db/migrations.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics/metrics.js';
import { createInstrumentedPlaidClient } from './plaid/instrumented-client.js';
import { startSimulatorServer } from './simulator/index.js';
import { seedDemoItems } from './simulator-demo/seed-demo-items.js';
import type { SyncScheduler } from './sync/sync-scheduler.js';
import { createSyncEngine } from './sync/sync-engine.js';
import { startQueueService } from './queue/queue-service.js';
import { TokenVault } from './vault/token-vault.js';

export interface RunningService {
  url: string;
  databaseUrl: string;
  /** Drains requests, stops background work, closes the pool and stops the embedded database. */
  stop(): Promise<void>;
}

type Stopper = () => Promise<void>;

function closeServer(server: ServerType, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      // Keep-alive sockets that will not finish in time are cut so shutdown has an upper bound.
      if ('closeAllConnections' in server) server.closeAllConnections();
    }, timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}

/**
 * Starts everything the service needs, in dependency order, and returns a stop function that
 * undoes it in reverse. If any step fails, what was already started is stopped again.
 */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const stoppers: Stopper[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) {
      await stop().catch((error: Error) => logger.error({ err: { message: error.message } }, 'shutdown_step_failed'));
    }
    stoppers.length = 0;
  };

  try {
    let databaseUrl = config.databaseUrl;
    if (databaseUrl === undefined) {
      const embedded: EmbeddedPostgres = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        port: config.embeddedPostgresPort,
        onLog: (message) => logger.info({ component: 'embedded-postgres' }, message),
      });
      stoppers.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }

    await runMigrations(databaseUrl);
    const database = connectDatabase(databaseUrl, { max: 10 });
    stoppers.push(() => database.close());

    let plaidBaseUrl = config.plaid.baseUrl;
    if (config.plaid.env === 'simulator' && plaidBaseUrl === undefined) {
      // Zero-configuration mode: the built-in Plaid simulator, on a loopback port of its own.
      // Its state lives in the same database as the service's, so restarts continue where they left off.
      const simulator = await startSimulatorServer({ clientId: config.plaid.clientId, secret: config.plaid.secret, port: 0, stateDatabaseUrl: databaseUrl });
      stoppers.push(() => simulator.close());
      plaidBaseUrl = simulator.url;
      logger.info({ url: simulator.url }, 'simulator_started');
    }
    const metrics = createMetrics();
    const plaid = createInstrumentedPlaidClient({ ...config.plaid, baseUrl: plaidBaseUrl }, metrics);

    const vault = new TokenVault(config.keyring);
    // Syncs get a pool of their own: their long transactions and COPY streams never hold up (or
    // share a connection with) webhook intake and the API, whose answers Plaid and the app wait on.
    // A run can hold a COPY stream and its merge transaction at once, plus short queries: three each.
    const syncDatabase = connectDatabase(databaseUrl, { max: config.workerConcurrency * 3 + 2, applicationName: 'plaid-sync-workers' });
    stoppers.push(() => syncDatabase.close());
    // A run left by a dead process is taken over once its heartbeat is this old; the heartbeat beats
    // four times and the recovery sweep twice in that window, capped at the engine's defaults.
    const staleAfterMs = (config.syncStaleAfterSeconds ?? 60) * 1000;
    const engine = createSyncEngine({
      db: syncDatabase.db, sql: syncDatabase.sql, plaid, vault, logger, metrics,
      staleAfterMs, heartbeatMs: Math.min(5_000, staleAfterMs / 4),
    });
    // The durable queue is the scheduler: every sync request is a pg-boss job any instance may run.
    const queued = await startQueueService({
      config, databaseUrl, db: database.db, sql: database.sql, plaid, vault, logger, metrics, engine, staleAfterMs, recoverEveryMs: Math.min(30_000, staleAfterMs / 2),
    });
    stoppers.push(() => queued.stop());
    const syncs: SyncScheduler = queued.syncs;
    // The admin page's simulator controls reach the simulator at the URL it actually listens on.
    // In simulator mode, items are linked with this service's own webhook address unless one is given,
    // so the simulator's webhooks reach /webhooks/plaid and every flow runs as it would with Plaid.
    const ownWebhookUrl = config.plaid.env === 'simulator' && config.port !== 0 ? `http://127.0.0.1:${config.port}/webhooks/plaid` : undefined;
    const appConfig = { ...config, webhookUrl: config.webhookUrl ?? ownWebhookUrl, plaid: { ...config.plaid, baseUrl: plaidBaseUrl } };
    // Readiness asks the database on a connection of its own: a pool busy with webhooks is not an outage.
    // A connection attempt gives up after 2 s, so one lost in the network does not hold readiness back.
    const health = connectDatabase(databaseUrl, { max: 1, applicationName: 'plaid-sync-health', connectTimeoutSeconds: 2 });
    stoppers.push(() => health.close());
    const app = createApp({ config: appConfig, db: database.db, sql: database.sql, healthSql: health.sql, logger, metrics, vault, plaid, syncs, queue: queued.queue });

    const server = await new Promise<ServerType>((resolve) => {
      const instance = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(instance));
    });
    stoppers.push(() => closeServer(server, config.shutdownTimeoutMs));

    if (config.plaid.env === 'simulator') await seedDemoItems({ config: appConfig, db: database.db, sql: database.sql, logger, vault, plaid, syncs });

    const address = server.address() as AddressInfo;
    const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
    return { url: `http://${host}:${address.port}`, databaseUrl, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
