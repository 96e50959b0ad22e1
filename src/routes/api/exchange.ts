import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { exchangePublicToken } from '../../services/exchange-service.js';
import { getItem } from '../../services/item-service.js';
import { createApiRouter } from './api-router.js';
import { errorResponses, ItemWithAccountsSchema, ProductSchema, storableString, UserHeaders } from './api-schemas.js';
import { CREATED } from './http-status.js';

const ExchangeRequest = z
  .object({
    public_token: storableString().min(1).max(512).openapi({ example: 'public-sandbox-5c2e5b1a-0000-4000-8000-000000000000' }),
    product: ProductSchema.nullish().openapi({ description: 'The product linked for; inferred from Plaid’s item metadata when omitted' }),
    institution: z
      .object({ institution_id: storableString().min(1).max(128).openapi({ example: 'ins_109508' }), name: storableString().max(256).nullish() })
      .nullish()
      .openapi({ description: 'From Link’s metadata; lets a duplicate be refused before Plaid creates an item' }),
  })
  .openapi('ExchangeRequest');

const ExchangeResponse = z
  .object({
    item: ItemWithAccountsSchema,
    adoptions: z.array(
      z.object({
        previous_account_id: z.uuid().openapi({ description: 'The inactive account now `replaced`' }),
        account_id: z.uuid().openapi({ description: 'The new account that took over its settings' }),
        settings_copied: z.boolean(),
      }),
    ),
  })
  .openapi('ExchangeResult');

const exchangeRoute = createRoute({
  method: 'post',
  path: '/plaid/transactions/exchange',
  summary: 'Exchange a Link public token for a new item and its product-scoped accounts',
  tags: ['link'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, body: { required: true, content: { 'application/json': { schema: ExchangeRequest } } } },
  responses: {
    [CREATED]: { description: 'The new item (active), its accounts and any smart adoptions', content: { 'application/json': { schema: ExchangeResponse } } },
    ...errorResponses(409, 415, 502, 503),
  },
});

export function exchangeRoutes(deps: AppDeps) {
  return createApiRouter().openapi(exchangeRoute, async (c) => {
    const body = c.req.valid('json');
    const userId = c.get('user').id;
    const { item, adoptions } = await exchangePublicToken(deps, {
      userId,
      publicToken: body.public_token,
      product: body.product ?? undefined,
      institution: body.institution ? { institutionId: body.institution.institution_id, name: body.institution.name ?? undefined } : undefined,
    });
    return c.json(
      {
        item: await getItem(deps.db, { userId, itemId: item.id }),
        adoptions: adoptions.map((a) => ({ previous_account_id: a.previousAccountId, account_id: a.accountId, settings_copied: a.settingsCopied })),
      },
      CREATED,
    );
  });
}
