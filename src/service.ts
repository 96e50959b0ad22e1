import { createApp } from './app.js';
import type { Config } from './config/load-config.js';
import { connectDatabase } from './db/client.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded-postgres.js';
import { runMigrations } from './db/migrations.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics/metrics.js';
import { createPlaidClient } from './plaid/client.js';
import { checkPlaidCredentials } from './plaid/credential-check.js';
import { createInstrumentedPlaidClient } from './plaid/instrumented-client.js';
import { QUICK_READINESS, startSimulatorServer } from './simulator/index.js';
import { BuiltInReceiver, builtInAppWebhook } from './notifications/builtin-receiver.js';
import { seedDemoItems } from './simulator-demo/seed-demo-items.js';
import type { SyncScheduler } from './sync/sync-scheduler.js';
import { createSyncEngine } from './sync/sync-engine.js';
import { startQueueService } from './queue/queue-service.js';
import { createIntakePressure, IntakeBursts } from './webhooks/intake-pressure.js';
import { acquireDataDirLock } from './lifecycle/data-dir-lock.js';
import { listenHttp } from './lifecycle/http-listener.js';
import { throwIfAborted } from './lifecycle/startup-error.js';
import { StopStack } from './lifecycle/stop-stack.js';
import type { ServicePhase } from './routes/health.js';
import { TokenVault } from './vault/token-vault.js';
import { createSignatureWorker } from './webhooks/signature-checker.js';
import { createWebhookDispatcher } from './webhooks/webhook-dispatcher.js';

export interface RunningService {
  url: string;
  databaseUrl: string;
  /** Drains requests, stops background work, closes the pool and stops the embedded database. */
  stop(): Promise<void>;
}

export interface RunningService {
  url: string;
  databaseUrl: string;
  /** The built-in Plaid simulator's address, in simulator mode without `PLAID_BASE_URL`. */
  simulatorUrl: string | undefined;
  /** Drains requests, stops background work, closes the pools, stops the embedded database, releases DATA_DIR. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Aborted by a stop signal: start-up stops at its next step, undoes what it started and throws `StartupAborted`. */
  signal?: AbortSignal;
  /** Where each started part registers its stop; the caller keeps it for a forced exit during start-up. */
  stops?: StopStack;
}

/**
 * Starts everything the service needs, in dependency order, registering each part's stop as soon as
 * the part exists. Whatever ends start-up early (a failure or a stop signal) undoes what was started,
 * in reverse. Order: the Plaid credentials check (outside simulator mode), DATA_DIR lock, HTTP port (so a taken port stops us before PostgreSQL starts),
 * embedded PostgreSQL, migrations, pools, simulator, queue and workers, the app, demo items; only then
 * does `/readyz` answer ready.
 */
export async function startService(config: Config, logger: Logger, options: StartOptions = {}): Promise<RunningService> {
  const { signal } = options;
  const stops = options.stops ?? new StopStack(logger);
  let phase: ServicePhase = 'starting';
  const stop = async () => {
    phase = 'stopping';
    await stops.unwind();
  };

  try {
    throwIfAborted(signal);
    // First, before anything is started: keys that do not belong to the environment stop the start here.
    if (config.plaid.env !== 'simulator') {
      await checkPlaidCredentials(createPlaidClient(config.plaid), { env: config.plaid.env, logger });
      throwIfAborted(signal);
    }
    const embeddedDatabase = config.databaseUrl === undefined;
    if (embeddedDatabase) {
      // One service per DATA_DIR: a second one would share (and on exit stop) the first one's database.
      const lock = await acquireDataDirLock(config.dataDir, { port: config.port });
      stops.push('data-dir-lock', () => lock.release(), { essential: true });
    }

    const listener = await listenHttp({ port: config.port, host: config.host });
    stops.push('http', () => listener.close(config.shutdownTimeoutMs));
    throwIfAborted(signal);

    let databaseUrl = config.databaseUrl;
    if (databaseUrl === undefined) {
      const starting = startEmbeddedPostgres({
        dataDir: config.dataDir,
        port: config.embeddedPostgresPort,
        onLog: (message) => logger.info({ component: 'embedded-postgres' }, message),
      });
      // Registered before the server is up: a forced exit in the middle of its start waits for the
      // start to end and then stops it, rather than leaving it running behind a process that is gone.
      stops.push('embedded-postgres', async () => (await starting.catch(() => undefined))?.stop(), { essential: true });
      const embedded: EmbeddedPostgres = await starting;
      // The service's own connections through the cluster's Unix socket when it has one (cheaper round trips).
      databaseUrl = embedded.socketUrl ?? embedded.url;
      throwIfAborted(signal);
    }

    await runMigrations(databaseUrl);
    throwIfAborted(signal);
    const database = connectDatabase(databaseUrl, { max: 10 });
    stops.push('database', () => database.close());

    let plaidBaseUrl = config.plaid.baseUrl;
    let simulatorUrl: string | undefined;
    if (config.plaid.env === 'simulator' && plaidBaseUrl === undefined) {
      // Zero-configuration mode: the built-in Plaid simulator, on a loopback port of its own.
      // Its state lives in the same database as the service's, so restarts continue where they left off.
      // New items arrive in phases (nothing, 30 days, the history) as at Plaid, within seconds.
      const simulator = await startSimulatorServer({
        clientId: config.plaid.clientId, secret: config.plaid.secret, port: 0, stateDatabaseUrl: databaseUrl, readiness: QUICK_READINESS,
      });
      stops.push('simulator', () => simulator.close());
      plaidBaseUrl = simulatorUrl = simulator.url;
      logger.info({ url: simulator.url }, 'simulator_started');
    }
    const metrics = createMetrics();
    const plaid = createInstrumentedPlaidClient({ ...config.plaid, baseUrl: plaidBaseUrl }, metrics);

    const vault = new TokenVault(config.keyring);
    // Syncs get a pool of their own: their long transactions and COPY streams never hold up (or
    // share a connection with) webhook intake and the API, whose answers Plaid and the app wait on.
    // A run can hold a COPY stream and its merge transaction at once, plus short queries: three each.
    const syncDatabase = connectDatabase(databaseUrl, { max: config.workerConcurrency * 3 + 2, applicationName: 'plaid-sync-workers' });
    stops.push('sync-database', () => syncDatabase.close());
    // A run left by a dead process is taken over once its heartbeat is this old; the heartbeat beats
    // four times and the recovery sweep twice in that window, capped at the engine's defaults.
    const staleAfterMs = (config.syncStaleAfterSeconds ?? 60) * 1000;
    const engine = createSyncEngine({
      db: syncDatabase.db, sql: syncDatabase.sql, plaid, vault, logger, metrics,
      staleAfterMs, heartbeatMs: Math.min(5_000, staleAfterMs / 4),
    });
    // Simulator mode without an app: notifications go to a receiver of the service's own, shown on the
    // admin page, so what an app would receive can be seen without writing one.
    const appReceiver = config.plaid.env === 'simulator' && config.appWebhook === undefined ? new BuiltInReceiver() : undefined;
    const notifying = appReceiver ? { ...config, appWebhook: builtInAppWebhook(appReceiver, listener.port) } : config;
    // The durable queue is the scheduler: every sync request is a pg-boss job any instance may run.
    // Webhook intake and workers share this process: during a burst of deliveries the workers leave
    // it the CPU for a while (the syncs' jobs wait, durable), so Plaid's deliveries are answered fast.
    // The intake's burst signal: the workers pause for a burst, the dispatcher gathers outside one.
    const intakeBursts = new IntakeBursts();
    const intakePressure = createIntakePressure(config, metrics, { bursts: intakeBursts });
    const queued = await startQueueService({
      config: notifying, databaseUrl, db: database.db, sql: database.sql, plaid, vault, logger, metrics, engine, staleAfterMs,
      recoverEveryMs: Math.min(30_000, staleAfterMs / 2), intakePressure,
    });
    stops.push('queue', () => queued.stop());
    throwIfAborted(signal);
    const syncs: SyncScheduler = queued.syncs;
    // In simulator mode, items are linked with this service's own webhook address unless one is given,
    // so the simulator's webhooks reach /webhooks/plaid and every flow runs as it would with Plaid.
    // The admin page's simulator controls reach the simulator at the URL it actually listens on.
    const ownWebhookUrl = config.plaid.env === 'simulator' ? `http://127.0.0.1:${listener.port}/webhooks/plaid` : undefined;
    const appConfig = { ...notifying, webhookUrl: config.webhookUrl ?? ownWebhookUrl, plaid: { ...config.plaid, baseUrl: plaidBaseUrl } };
    // Readiness asks the database on a connection of its own: a pool busy with webhooks is not an outage.
    // A connection attempt gives up after 2 s, so one lost in the network does not hold readiness back.
    const health = connectDatabase(databaseUrl, { max: 1, applicationName: 'plaid-sync-health', connectTimeoutSeconds: 2 });
    stops.push('health-connection', () => health.close());
    // Stopped after the requests drain (it finishes the dispatch under way) and before the queue and pools.
    const webhookDispatcher = createWebhookDispatcher({ sql: database.sql, queue: queued.queue, logger }, intakeBursts);
    stops.push('webhook-dispatcher', () => webhookDispatcher.stop());
    // Webhook signatures that arrive together are checked on a thread of their own (after the requests drain, it ends).
    const signatureChecker = createSignatureWorker({ logger });
    stops.push('signature-worker', () => signatureChecker.close());
    const app = createApp({
      config: appConfig, db: database.db, sql: database.sql, healthSql: health.sql, logger, metrics, vault, plaid, syncs, queue: queued.queue,
      phase: () => phase, appReceiver, webhookDispatcher, intakeBursts, signatureChecker,
    });
    listener.serve(app.fetch);
    // Registered again so that a stop drains requests first, before the work and the database behind them go.
    stops.push('http-drain', () => listener.close(config.shutdownTimeoutMs));

    // The simulator's webhooks for the demo items need the app above to be serving already.
    if (config.plaid.env === 'simulator') await seedDemoItems({ config: appConfig, db: database.db, sql: database.sql, logger, vault, plaid, syncs });
    throwIfAborted(signal);

    phase = 'ready';
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    return { url: `http://${host.includes(':') ? `[${host}]` : host}:${listener.port}`, databaseUrl, simulatorUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
