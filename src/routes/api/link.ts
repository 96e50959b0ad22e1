import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { createLinkToken } from '../../services/link-service.js';
import { createApiRouter } from './api-router.js';
import { errorResponses, ProductSchema, UserHeaders } from './api-schemas.js';
import { OK } from './http-status.js';

const LinkTokenRequest = z
  .object({
    products: z.array(ProductSchema).min(1).max(3).optional().openapi({ description: 'Normal mode: the products to link for (default `["transactions"]`)' }),
    item_id: z.uuid().optional().openapi({ description: 'Update mode (Fix Connection): the item to repair' }),
  })
  .refine((body) => body.products === undefined || body.item_id === undefined, { message: 'send products (normal mode) or item_id (update mode), not both' })
  .openapi('LinkTokenRequest');

const LinkTokenResponse = z
  .object({
    link_token: z.string(),
    expiration: z.string().openapi({ format: 'date-time' }),
    hosted_link_url: z.url().optional().openapi({ description: 'Simulator mode only: the simulated Link page to open in a browser for this token' }),
  })
  .openapi('LinkToken');

const createLinkTokenRoute = createRoute({
  method: 'post',
  path: '/plaid/link-token',
  summary: 'Create a Link token (normal or update mode)',
  tags: ['link'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, body: { required: false, content: { 'application/json': { schema: LinkTokenRequest } } } },
  responses: {
    [OK]: { description: 'A Link token for the app’s front end', content: { 'application/json': { schema: LinkTokenResponse } } },
    ...errorResponses(404, 409, 415, 502, 503),
  },
});

export function linkRoutes(deps: AppDeps) {
  return createApiRouter().openapi(createLinkTokenRoute, async (c) => {
    const body = c.req.valid('json');
    const userId = c.get('user').id;
    const token = body.item_id
      ? await createLinkToken(deps, { userId, mode: 'update', itemId: body.item_id })
      : await createLinkToken(deps, { userId, mode: 'normal', products: body.products ?? ['transactions'] });
    return c.json(token, OK);
  });
}
