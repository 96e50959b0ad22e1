import { CountryCode, type LinkTokenCreateRequest } from 'plaid';
import type { Product } from '../db/schema/index.js';
import { callPlaid } from '../plaid/plaid-request-error.js';
import { REGISTRY } from '../plaid/products/registry.js';
import { accessTokenOf, itemDisconnectedError, loadOwnedItem } from './item-access.js';
import type { ServiceDeps } from './service-deps.js';

const CLIENT_NAME = 'plaid-sync';


export interface NormalLinkInput {
  mode: 'normal';
  products: readonly Product[];
  requiredIfSupportedProducts?: readonly Product[];
  optionalProducts?: readonly Product[];
  additionalConsentedProducts?: readonly Product[];
}

export type LinkTokenInput = { userId: string } & (NormalLinkInput | { mode: 'update'; itemId: string });

/** Plaid's lists for a normal-mode token; empty lists are left out, as Plaid's own examples do. */
function productLists(input: NormalLinkInput): Partial<LinkTokenCreateRequest> {
  const plaidList = (list: readonly Product[] | undefined) => (list && list.length > 0 ? list.map((p) => REGISTRY[p].plaidProduct) : undefined);
  const lists = {
    products: plaidList(input.products),
    required_if_supported_products: plaidList(input.requiredIfSupportedProducts),
    optional_products: plaidList(input.optionalProducts),
    additional_consented_products: plaidList(input.additionalConsentedProducts),
  };
  return Object.fromEntries(Object.entries(lists).filter(([, list]) => list !== undefined));
}

/**
 * A Link token for the app's front end. Normal mode links a new institution for the given
 * products (and, as Plaid allows, required-if-supported, optional and additional-consented ones: what
 * the item ends up entitled to is read from `/item/get` at the exchange), with the service's webhook URL and the user as Plaid's client user id. Update mode
 * (Fix Connection) opens Link on an existing item: its access token, no products, and account
 * selection when Plaid said new accounts are available. A disconnected item has no live token; it
 * is re-linked in normal mode instead. In simulator mode the token also opens the simulator's Link
 * page (`hosted_link_url`), so the whole flow works without a front end.
 */
export async function createLinkToken(deps: ServiceDeps, input: LinkTokenInput) {
  const base: LinkTokenCreateRequest = {
    client_name: CLIENT_NAME,
    language: 'en',
    country_codes: [CountryCode.Us],
    user: { client_user_id: input.userId },
  };
  let request: LinkTokenCreateRequest;
  if (input.mode === 'normal') {
    request = { ...base, ...productLists(input), ...(deps.config.webhookUrl ? { webhook: deps.config.webhookUrl } : {}) };
  } else {
    const item = await loadOwnedItem(deps.db, { userId: input.userId, itemId: input.itemId });
    if (item.status === 'disconnected') throw itemDisconnectedError(item.id);
    request = { ...base, access_token: accessTokenOf(deps.vault, item), update: { account_selection_enabled: item.newAccountsAvailable } };
  }
  // The built-in simulator serves a Link page of its own, opened as Plaid's Hosted Link would be.
  if (deps.config.plaid?.env === 'simulator') request = { ...request, hosted_link: {} };
  const created = await callPlaid(() => deps.plaid.linkTokenCreate(request));
  return {
    link_token: created.link_token,
    expiration: created.expiration,
    ...(created.hosted_link_url !== undefined ? { hosted_link_url: created.hosted_link_url } : {}),
  };
}
