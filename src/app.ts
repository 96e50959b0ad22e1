import { Hono } from 'hono';
import type { PlaidApi } from 'plaid';
import { adminRoutes } from './admin/admin-app.js';
import type { Config } from './config/load-config.js';
import type { Database, Sql } from './db/client.js';
import { requestBodyLimit } from './http/body-limit.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { RequestAbortedError } from './http/errors.js';
import { hostGuard, metricsHostAllowed } from './http/host-allow-list.js';
import { requestId } from './http/request-id.js';
import { requestLogger } from './http/request-logger.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics/metrics.js';
import { apiRoutes, openApiDocument } from './routes/api/index.js';
import { healthRoutes, type ServicePhase } from './routes/health.js';
import type { SyncScheduler } from './sync/sync-scheduler.js';
import type { WorkQueue } from './queue/work-queue.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { IntakeBursts } from './webhooks/intake-pressure.js';
import type { BuiltInReceiver } from './notifications/builtin-receiver.js';
import type { TokenVault } from './vault/token-vault.js';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import type { SignatureChecker } from './webhooks/signature-checker.js';

export interface AppDeps {
  config: Config;
  db: Database;
  sql: Sql;
  /** A connection kept apart for `/readyz`; defaults to `sql`. */
  healthSql?: Sql;
  logger: Logger;
  metrics: Metrics;
  vault: TokenVault;
  plaid: PlaidApi;
  syncs: SyncScheduler;
  /** The durable queue behind webhook intake, status checks and refresh-all. */
  queue: WorkQueue;
  /** Where start-up or shutdown is; `/readyz` answers ready only in `ready`. */
  phase?: () => ServicePhase;
  /** Simulator mode without APP_WEBHOOK_URL: the service's notifications go to this receiver. */
  appReceiver?: BuiltInReceiver;
  /** Makes the jobs of the webhooks intake records; the service stops it at shutdown. One of the app's own otherwise. */
  webhookDispatcher?: WebhookDispatcher;
  /** Checks webhook signatures; on the request's thread unless given (the service gives a worker). */
  signatureChecker?: SignatureChecker;
  /** The intake's burst signal: the recorder feeds it; the workers' pauses and the dispatcher read it. */
  intakeBursts?: IntakeBursts;
}

/** Builds the HTTP app from its dependencies; starting servers and workers is `main.ts`'s job. */
export function createApp(deps: AppDeps) {
  const app = new Hono();
  app.use(requestId());
  app.use(requestLogger(deps.logger));
  app.use(async (c, next) => {
    const end = deps.metrics.httpRequestDuration.startTimer({ method: c.req.method });
    await next();
    // Counted apart, so that clients hanging up cannot drown or fake the service's own errors.
    if (c.error instanceof RequestAbortedError) deps.metrics.httpRequestsAborted.inc({ method: c.req.method, route: c.req.routePath });
    else end({ route: c.req.routePath, status: String(c.res.status) });
  });
  const { config } = deps;
  app.use(
    requestBodyLimit((path) => {
      if (path === '/webhooks/plaid') return undefined;
      return path === '/admin' || path.startsWith('/admin/') ? config.adminMaxFormBytes : config.apiMaxBodyBytes;
    }),
  );
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler);

  // Metrics are unauthenticated: a DNS-rebound name must not let a web page read them (see ADR 0005).
  app.use('/metrics', hostGuard((host) => metricsHostAllowed(deps.config.publicOrigins, deps.config.metricsAllowedHosts, host)));
  app.route('/', healthRoutes({ sql: deps.healthSql ?? deps.sql, metrics: deps.metrics, phase: deps.phase }));
  app.route('/', webhookRoutes(deps));
  if (deps.appReceiver) app.route('/', deps.appReceiver.routes());
  const api = apiRoutes(deps);
  const openApi = openApiDocument(api);
  app.get('/api/openapi.json', (c) => c.json(openApi));
  app.route('/api', api);
  app.route('/admin', adminRoutes(deps));
  return app;
}

export type App = ReturnType<typeof createApp>;
