import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { PRODUCTS, type Product } from '../../db/schema/index.js';
import { createLinkToken } from '../../services/link-service.js';
import { createApiRouter } from './api-router.js';
import { errorResponses, ProductSchema, UserHeaders } from './api-schemas.js';
import { OK } from './http-status.js';

const NORMAL_MODE_FIELDS = ['products', 'required_if_supported_products', 'optional_products', 'additional_consented_products'] as const;

/** Plaid refuses a product named in two lists; the app hears it from us, with the field names it sent. */
function distinctLists(body: Partial<Record<(typeof NORMAL_MODE_FIELDS)[number], readonly Product[]>>): boolean {
  const all = NORMAL_MODE_FIELDS.flatMap((field) => body[field] ?? (field === 'products' ? ['transactions' as const] : []));
  return new Set(all).size === all.length;
}

const productList = (description: string) => z.array(ProductSchema).max(PRODUCTS.length).optional().openapi({ description });

const LinkTokenRequest = z
  .object({
    products: z.array(ProductSchema).min(1).max(PRODUCTS.length).optional().openapi({ description: 'Normal mode: the products to link for (default `["transactions"]`); Link only offers institutions with all of them' }),
    required_if_supported_products: productList('Normal mode: products the item gets when the institution supports them (billed then), without restricting institutions'),
    optional_products: productList('Normal mode: products the item gets when the institution and accounts support them (billed then); Link still succeeds without them'),
    additional_consented_products: productList('Normal mode: products the user consents to without the item getting them; they are synced (and billed by Plaid from the first sync) once Plaid confirms the consent'),
    item_id: z.uuid().optional().openapi({ description: 'Update mode (Fix Connection): the item to repair' }),
  })
  .refine((body) => body.item_id === undefined || NORMAL_MODE_FIELDS.every((field) => body[field] === undefined), {
    message: 'send products (normal mode) or item_id (update mode), not both',
  })
  .refine((body) => distinctLists(body), { message: 'a product may appear in only one of products, required_if_supported_products, optional_products and additional_consented_products' })
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
      : await createLinkToken(deps, {
          userId,
          mode: 'normal',
          products: body.products ?? ['transactions'],
          requiredIfSupportedProducts: body.required_if_supported_products ?? [],
          optionalProducts: body.optional_products ?? [],
          additionalConsentedProducts: body.additional_consented_products ?? [],
        });
    return c.json(token, OK);
  });
}
