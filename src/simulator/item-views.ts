import { ItemUpdateTypeEnum, ItemWithConsentFieldsUpdateTypeEnum, Products } from './plaid-enums.js';
import type { AccountBase, Item, ItemStatusNullable, ItemWithConsentFields } from 'plaid';
import type { SimAccount } from './accounts.js';
import type { CallStats } from './call-stats.js';
import type { SimItem } from './item-store.js';
import { plaidErrors, type PlaidApiError } from './plaid-errors.js';

/** Products that never appear in available/billed lists (billed per call). */
const PER_CALL: readonly Products[] = [Products.Balance];

export function itemObject(item: SimItem): Item {
  return {
    item_id: item.itemId,
    institution_id: item.institution.institution.institution_id,
    institution_name: item.institution.institution.name,
    webhook: item.webhook,
    auth_method: null,
    error: item.error?.toItemError() ?? null,
    available_products: item.institution.institution.products.filter((p) => !item.products.includes(p) && !PER_CALL.includes(p)),
    billed_products: item.products.filter((p) => !PER_CALL.includes(p)),
    products: [...item.products],
    // Items under Data Transparency Messaging list what the user consented to; older Items have no list.
    ...(item.consentedProducts === null ? {} : { consented_products: [...item.consentedProducts] }),
    consent_expiration_time: item.consentExpirationTime,
    update_type: ItemUpdateTypeEnum.Background,
  };
}

export function itemWithConsentFields(item: SimItem): ItemWithConsentFields {
  return { ...itemObject(item), update_type: ItemWithConsentFieldsUpdateTypeEnum.Background, created_at: item.createdAt };
}

export function itemStatus(item: SimItem): ItemStatusNullable {
  return {
    transactions: item.products.includes(Products.Transactions)
      ? { last_successful_update: item.ready === 'not_ready' ? null : item.lastTransactionsUpdate, last_failed_update: null }
      : null,
    investments: item.products.includes(Products.Investments)
      ? { last_successful_update: item.createdAt, last_failed_update: null }
      : null,
    last_webhook: item.lastWebhook,
  };
}

/** Product endpoints answer with the Item's error instead of data while it is in error. */
export function assertUsable(item: SimItem): void {
  if (item.error) throw item.error;
}

/**
 * A product endpoint on an Item not initialized with the product ("Adding products post-Link"):
 * one the institution lacks is PRODUCTS_NOT_SUPPORTED; under Data Transparency Messaging one the user
 * did not consent to is ADDITIONAL_CONSENT_REQUIRED; otherwise Plaid adds the product and bills it
 * from then on, which `billedAdds` records.
 */
export function requireProduct(item: SimItem, product: Products, stats: Pick<CallStats, 'recordBilledAdd' | 'recordProductCall'>): void {
  stats.recordProductCall(item.itemId, product);
  grantProduct(item, product, stats);
}

/** The product on the Item, added (and billed) now if it was not: refused when unsupported or not consented. */
function grantProduct(item: SimItem, product: Products, stats: Pick<CallStats, 'recordBilledAdd'>): void {
  assertUsable(item);
  if (item.products.includes(product)) return;
  if (!item.institution.institution.products.includes(product)) throw plaidErrors.productsNotSupported([product]);
  if (item.consentedProducts !== null && !item.consentedProducts.includes(product)) throw plaidErrors.additionalConsentRequired(product);
  item.products.push(product);
  stats.recordBilledAdd({ itemId: item.itemId, product });
}

/**
 * `requireProduct` for a product that reads only some account types: an Item without any of them
 * answers `noAccounts` (NO_INVESTMENT_ACCOUNTS, NO_LIABILITY_ACCOUNTS) before the product is added.
 */
export function requireProductAccounts(
  item: SimItem,
  product: Products,
  filter: (account: SimAccount) => boolean,
  noAccounts: () => PlaidApiError,
  stats: Pick<CallStats, 'recordBilledAdd' | 'recordProductCall'>,
): SimAccount[] {
  stats.recordProductCall(item.itemId, product);
  assertUsable(item);
  if (!item.institution.institution.products.includes(product)) throw plaidErrors.productsNotSupported([product]);
  const accounts = liveAccounts(item, filter);
  if (accounts.length === 0) throw noAccounts();
  grantProduct(item, product, stats);
  return accounts;
}

export function liveAccounts(item: SimItem, filter?: (account: SimAccount) => boolean): SimAccount[] {
  return item.accounts.filter((a) => !a.revoked && (filter === undefined || filter(a)));
}

/** Accounts narrowed by options.account_ids; unknown ids are INVALID_ACCOUNT_ID as in Plaid. */
export function selectAccounts(accounts: SimAccount[], accountIds: readonly string[] | undefined): SimAccount[] {
  if (accountIds === undefined) return accounts;
  const known = new Set(accounts.map((a) => a.account.account_id));
  if (accountIds.some((id) => !known.has(id))) throw plaidErrors.invalidAccountId();
  return accounts.filter((a) => accountIds.includes(a.account.account_id));
}

export function accountBases(accounts: readonly SimAccount[]): AccountBase[] {
  return accounts.map((a) => structuredClone(a.account));
}
