import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { syncProduct } from '../../services/sync-service.js';
import { createApiRouter } from './api-router.js';
import { errorResponses, ProductSchema, UserHeaders } from './api-schemas.js';
import { OK } from './http-status.js';

const ProductParams = z.object({
  product: ProductSchema.openapi({ param: { name: 'product', in: 'path' } }),
});

const SyncRequestBody = z
  .object({ account_id: z.uuid().openapi({ description: 'One of the caller’s accounts, scoped to the product in the path' }) })
  .openapi('ProductSyncRequest');

const SyncResultSchema = z
  .object({
    updated: z.boolean().openapi({ description: 'true when the run changed stored data' }),
    errors: z.array(z.string()).openapi({ description: 'Provider failures as `CODE: message`; empty on success', example: [] }),
  })
  .strict()
  .openapi('ProductSyncResult');

const productSyncRoute = createRoute({
  method: 'post',
  path: '/products/{product}/transactions/sync',
  summary: 'Sync the product data of one account now (joins a sync already running for its item)',
  description:
    'Always 200 once the request is valid: provider failures come back in `errors` with `updated: false`. ' +
    'A sync that outlasts the wait is reported as still running and finishes in the background.',
  tags: ['sync'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: ProductParams, body: { required: true, content: { 'application/json': { schema: SyncRequestBody } } } },
  responses: {
    [OK]: { description: 'The sync result', content: { 'application/json': { schema: SyncResultSchema } } },
    ...errorResponses(404, 415),
  },
});

export interface ProductSyncRouteOptions {
  /** How long the request waits for the run (default 25 s). */
  waitMs?: number;
}

export function productSyncRoutes(deps: AppDeps, options: ProductSyncRouteOptions = {}) {
  return createApiRouter().openapi(productSyncRoute, async (c) => {
    const { product } = c.req.valid('param');
    const { account_id: accountId } = c.req.valid('json');
    const result = await syncProduct({ ...deps, waitMs: options.waitMs }, { product, accountId, user: c.get('user') });
    return c.json({ updated: result.updated, errors: result.errors }, OK);
  });
}
