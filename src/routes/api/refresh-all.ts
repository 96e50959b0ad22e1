import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { refreshAllItems } from '../../status/refresh-all.js';
import { createApiRouter } from './api-router.js';
import { errorResponses, UserHeaders } from './api-schemas.js';

const ACCEPTED = 202;

const RefreshBatchSchema = z
  .object({
    queued: z.number().int().openapi({ description: 'Items whose status check was queued (one already waiting is not queued twice)' }),
    lastStartsAt: z.string().nullable().openapi({ description: 'When the last queued check may start' }),
  })
  .openapi('RefreshBatch');

const refreshAllRoute = createRoute({
  method: 'post',
  path: '/items/refresh-all',
  summary: 'Check every live item of the user with Plaid (/item/get), update its status, then sync it',
  tags: ['items'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders },
  responses: {
    [ACCEPTED]: { description: 'Queued; the work runs in the background', content: { 'application/json': { schema: RefreshBatchSchema } } },
    ...errorResponses(),
  },
});

export function refreshAllRoutes(deps: Pick<AppDeps, 'queue'>) {
  return createApiRouter().openapi(refreshAllRoute, async (c) => c.json(await refreshAllItems(deps, { userId: c.get('user').id }), ACCEPTED));
}
