import type { Hono } from 'hono';
import { CountryCode, Products } from '../plaid-enums.js';
import type {
  ItemPublicTokenExchangeRequest, ItemPublicTokenExchangeResponse, LinkTokenCreateRequest, LinkTokenCreateResponse,
} from 'plaid';
import { z } from 'zod';
import type { SimulatorContext } from '../context.js';
import { plaidErrors } from '../plaid-errors.js';
import { plaidRoute } from '../plaid-route.js';
import { credentials, webhookUrl } from './schemas.js';

const productList = z.array(z.enum(Products)).nullish();

const linkTokenCreate = z.object({
  ...credentials,
  client_name: z.string().min(1),
  language: z.string().min(1),
  country_codes: z.array(z.enum(CountryCode)).min(1),
  // The user's identity fields are accepted as Plaid accepts them and ignored (no Identity product here).
  user: z.object({
    client_user_id: z.string().min(1),
    legal_name: z.string().optional(),
    phone_number: z.string().optional(),
    phone_number_verified_time: z.string().nullish(),
    email_address: z.string().optional(),
    email_address_verified_time: z.string().nullish(),
    ssn: z.string().optional(),
    date_of_birth: z.string().nullish(),
  }).optional(),
  user_id: z.string().optional(),
  products: productList,
  required_if_supported_products: productList,
  optional_products: productList,
  additional_consented_products: productList,
  webhook: webhookUrl.optional(),
  access_token: z.string().nullish(),
  // Update mode's options; accepted as Plaid accepts them (the Link page ignores them).
  update: z.object({
    account_selection_enabled: z.boolean().optional(),
    reauthorization_enabled: z.boolean().optional(),
    user: z.boolean().optional(),
    item_ids: z.array(z.string()).nullish(),
  }).optional(),
  transactions: z.object({ days_requested: z.number().int().min(1).max(730).optional() }).optional(),
  hosted_link: z.object({
    completion_redirect_uri: z.url().optional(),
    url_lifetime_seconds: z.number().int().min(60).max(60 * 60 * 24 * 7).optional(),
    is_mobile_app: z.boolean().optional(),
  }).optional(),
});

const exchange = z.object({ ...credentials, public_token: z.string() });

export function registerLinkRoutes(app: Hono, ctx: SimulatorContext): void {
  plaidRoute<LinkTokenCreateRequest, LinkTokenCreateResponse>(app, ctx, '/link/token/create', linkTokenCreate, (req) => {
    if (!req.user && req.user_id === undefined) throw plaidErrors.missingFields(['user']);
    const updateItem = req.access_token ? ctx.store.byAccessToken(req.access_token) : null;
    const products = req.products ?? [];
    if (!updateItem && products.length === 0) throw plaidErrors.missingFields(['products']);
    // Balance is billed per call and cannot initialise an Item; Plaid refuses it as a product it does not grant here.
    if (products.includes(Products.Balance)) throw plaidErrors.invalidProduct([Products.Balance]);
    const lists = updateItem ? {} : extraProductLists(req);
    const record = ctx.store.createLinkToken({
      products: updateItem ? updateItem.products : products,
      ...lists,
      // In update mode Plaid ignores the webhook field; /item/webhook/update changes it.
      webhook: updateItem ? updateItem.webhook : req.webhook ?? null,
      userId: req.user_id ?? null,
      clientUserId: req.user?.client_user_id ?? null,
      historyDays: req.transactions?.days_requested ?? 90,
      itemId: updateItem?.itemId ?? null,
      completionRedirectUri: req.hosted_link?.completion_redirect_uri ?? null,
    }, req.hosted_link?.url_lifetime_seconds === undefined ? undefined : req.hosted_link.url_lifetime_seconds * 1000);
    // Hosted Link: the simulator's own Link page stands in for Plaid's hosted one.
    const hosted = req.hosted_link !== undefined && ctx.publicUrl !== null ? { hosted_link_url: hostedLinkUrl(ctx.publicUrl, record.token) } : {};
    return { link_token: record.token, expiration: new Date(record.expiresAt).toISOString(), ...hosted };
  });

  plaidRoute<ItemPublicTokenExchangeRequest, ItemPublicTokenExchangeResponse>(app, ctx, '/item/public_token/exchange', exchange, (req) => {
    const item = ctx.store.exchangePublicToken(req.public_token);
    return { access_token: item.accessToken, item_id: item.itemId };
  });
}

/** The lists beside `products` a normal-mode token may carry; a product in two lists is refused. */
function extraProductLists(req: z.infer<typeof linkTokenCreate>) {
  const lists = {
    requiredIfSupportedProducts: req.required_if_supported_products ?? [],
    optionalProducts: req.optional_products ?? [],
    additionalConsentedProducts: req.additional_consented_products ?? [],
  };
  const all = [...(req.products ?? []), ...lists.requiredIfSupportedProducts, ...lists.optionalProducts, ...lists.additionalConsentedProducts];
  if (new Set(all).size !== all.length) throw plaidErrors.invalidField('a product may appear in only one of products, required_if_supported_products, optional_products and additional_consented_products');
  return lists;
}

export function hostedLinkUrl(base: string, token: string): string {
  return `${base}/link?token=${encodeURIComponent(token)}`;
}
