import type { AppDeps } from '../../app.js';
import { apiAuth } from '../../http/api-auth.js';
import { accountRoutes } from './accounts.js';
import { createApiRouter } from './api-router.js';
import { changeRoutes } from './changes.js';
import { exchangeRoutes } from './exchange.js';
import { investmentRoutes } from './investments.js';
import { itemRoutes } from './items.js';
import { liabilityRoutes } from './liabilities.js';
import { linkRoutes } from './link.js';
import { productSyncRoutes } from './product-sync.js';
import { refreshAllRoutes } from './refresh-all.js';
import { transactionRoutes } from './transactions.js';

/** Everything under `/api`: authenticated as the app, scoped to the user in `X-User-Id`. */
export function apiRoutes(deps: AppDeps) {
  const api = createApiRouter();
  api.openAPIRegistry.registerComponent('securitySchemes', 'appToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'A token from API_TOKENS; every request also sends X-User-Id (the end user, a UUID).',
  });
  api.use('*', apiAuth(deps.config.apiTokens));
  // Feature routers are mounted here, one line each.
  api.route('/', linkRoutes(deps));
  api.route('/', exchangeRoutes(deps));
  api.route('/', itemRoutes(deps));
  api.route('/', accountRoutes(deps));
  api.route('/', transactionRoutes(deps));
  api.route('/', investmentRoutes(deps));
  api.route('/', liabilityRoutes(deps));
  api.route('/', productSyncRoutes(deps));
  api.route('/', refreshAllRoutes(deps));
  api.route('/', changeRoutes(deps));
  return api;
}

export function openApiDocument(api: ReturnType<typeof apiRoutes>) {
  return api.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'plaid-sync API', version: '1.0.0', description: 'The REST API the app calls.' },
    servers: [{ url: '/api' }],
    security: [{ appToken: [] }],
  });
}
