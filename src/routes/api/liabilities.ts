import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { listAccountLiabilities } from '../../services/liability-service.js';
import { LiabilitySchema } from '../../services/read-models/index.js';
import { createApiRouter } from './api-router.js';
import { errorResponses, IdParams, UserHeaders } from './api-schemas.js';
import { OK } from './http-status.js';

const liabilitiesRoute = createRoute({
  method: 'get',
  path: '/accounts/{id}/liabilities',
  summary: 'An account’s liability: credit card (APRs, payments, statement), mortgage or student loan',
  tags: ['liabilities'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: IdParams },
  responses: {
    [OK]: {
      description: 'Zero or one liability: an account Plaid reports none for has none',
      content: { 'application/json': { schema: z.object({ liabilities: z.array(LiabilitySchema) }).openapi('LiabilityList') } },
    },
    ...errorResponses(404),
  },
});

export function liabilityRoutes(deps: AppDeps) {
  return createApiRouter().openapi(liabilitiesRoute, async (c) =>
    c.json(await listAccountLiabilities(deps.db, { userId: c.get('user').id, accountId: c.req.valid('param').id }), OK),
  );
}
