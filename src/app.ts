import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { PlaidApi } from 'plaid';
import { adminRoutes } from './admin/admin-app.js';
import type { Config } from './config/load-config.js';
import type { Database, Sql } from './db/client.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { requestLogger } from './http/request-logger.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics/metrics.js';
import { apiRoutes, openApiDocument } from './routes/api/index.js';
import { healthRoutes, type ServicePhase } from './routes/health.js';
import type { SyncScheduler } from './sync/sync-scheduler.js';
import type { WorkQueue } from './queue/work-queue.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { TokenVault } from './vault/token-vault.js';

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
}

/** Builds the HTTP app from its dependencies; starting servers and workers is `main.ts`'s job. */
export function createApp(deps: AppDeps) {
  const app = new Hono();
  app.use(requestId());
  app.use(requestLogger(deps.logger));
  app.use(async (c, next) => {
    const end = deps.metrics.httpRequestDuration.startTimer({ method: c.req.method });
    await next();
    end({ route: c.req.routePath, status: String(c.res.status) });
  });
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler);

  app.route('/', healthRoutes({ sql: deps.healthSql ?? deps.sql, metrics: deps.metrics, phase: deps.phase }));
  app.route('/', webhookRoutes(deps));
  const api = apiRoutes(deps);
  const openApi = openApiDocument(api);
  app.get('/api/openapi.json', (c) => c.json(openApi));
  app.route('/api', api);
  app.route('/admin', adminRoutes(deps));
  return app;
}

export type App = ReturnType<typeof createApp>;
