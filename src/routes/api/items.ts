import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { disconnectItem, getItem, listItems } from '../../services/item-service.js';
import { BILLING_NOTICE, enableItemProduct } from '../../services/product-enablement.js';
import { completeReauth } from '../../services/reauth-service.js';
import { createApiRouter } from './api-router.js';
import { errorResponses, IdParams, ItemSchema, ItemWithAccountsSchema, ProductSchema, UserHeaders } from './api-schemas.js';
import { OK } from './http-status.js';

const itemResponse = (description: string) => ({ description, content: { 'application/json': { schema: ItemWithAccountsSchema } } });

const listItemsRoute = createRoute({
  method: 'get',
  path: '/items',
  summary: 'The user’s items, each with the action the app should offer',
  tags: ['items'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders },
  responses: {
    [OK]: { description: 'Newest first', content: { 'application/json': { schema: z.object({ items: z.array(ItemSchema) }).openapi('ItemList') } } },
    ...errorResponses(),
  },
});

const getItemRoute = createRoute({
  method: 'get',
  path: '/items/{id}',
  summary: 'One item with all its accounts',
  tags: ['items'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: IdParams },
  responses: { [OK]: itemResponse('The item and its accounts'), ...errorResponses(404) },
});

const disconnectRoute = createRoute({
  method: 'delete',
  path: '/items/{id}',
  summary: 'Disconnect: remove at Plaid, then soft delete (item disconnected, accounts inactive, history kept)',
  tags: ['items'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: IdParams },
  responses: { [OK]: itemResponse('The item, now disconnected'), ...errorResponses(404, 502, 503) },
});

const reauthCompleteRoute = createRoute({
  method: 'post',
  path: '/items/{id}/reauth-complete',
  summary: 'Update mode finished: confirm with Plaid, set the item active, request a sync',
  tags: ['items'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: IdParams },
  responses: { [OK]: itemResponse('The same item, active again'), ...errorResponses(404, 409, 502, 503) },
});

const EnableProductParams = IdParams.extend({
  product: ProductSchema.openapi({ param: { name: 'product', in: 'path' } }),
});

const EnableProductBody = z
  .object({
    accept_billing: z.literal(true).openapi({ description: `Required: the app acknowledges the cost. ${BILLING_NOTICE}` }),
  })
  .openapi('EnableProductRequest');

const enableProductRoute = createRoute({
  method: 'post',
  path: '/items/{id}/products/{product}',
  summary: 'Enable a product the item was not linked for (Plaid may bill it)',
  description: `${BILLING_NOTICE} The item's accounts of that product then sync. An item linked under Data Transparency Messaging without the user's consent to the product is refused (409 \`additional_consent_required\`) before anything is called; a product already enabled is left as it is.`,
  tags: ['items'],
  security: [{ appToken: [] }],
  request: {
    headers: UserHeaders,
    params: EnableProductParams,
    body: { required: true, content: { 'application/json': { schema: EnableProductBody } } },
  },
  responses: { [OK]: itemResponse('The item, entitled to the product; its sync is requested'), ...errorResponses(404, 409, 415, 502, 503) },
});

export function itemRoutes(deps: AppDeps) {
  return createApiRouter()
    .openapi(listItemsRoute, async (c) => c.json({ items: await listItems(deps.db, { userId: c.get('user').id }) }, OK))
    .openapi(getItemRoute, async (c) => c.json(await getItem(deps.db, { userId: c.get('user').id, itemId: c.req.valid('param').id }), OK))
    .openapi(disconnectRoute, async (c) => c.json(await disconnectItem(deps, { userId: c.get('user').id, itemId: c.req.valid('param').id }), OK))
    .openapi(reauthCompleteRoute, async (c) => c.json(await completeReauth(deps, { userId: c.get('user').id, itemId: c.req.valid('param').id }), OK))
    .openapi(enableProductRoute, async (c) => {
      const { id, product } = c.req.valid('param');
      return c.json(await enableItemProduct(deps, { userId: c.get('user').id, itemId: id, product }), OK);
    });
}
