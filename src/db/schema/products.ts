/** The Plaid products an account can be scoped to. Changing this list needs a migration of `accounts_product_check`. */
export const PRODUCTS = ['transactions', 'investments', 'liabilities'] as const;
export type Product = (typeof PRODUCTS)[number];

export function isProduct(value: unknown): value is Product {
  return typeof value === 'string' && (PRODUCTS as readonly string[]).includes(value);
}

export const ITEM_STATUSES = ['active', 'needs_reauth', 'disconnected'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export const ACCOUNT_STATUSES = ['active', 'inactive', 'replaced'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/**
 * Why a product of an item waits instead of syncing on schedule (`sync_state.state`): it has no
 * accounts there, the user did not consent to it, or Plaid has not finished extracting it.
 * `PRODUCTS_NOT_SUPPORTED` lives in `plaid_items.unsupported_products` and is shown as `unsupported`.
 */
export const PRODUCT_WAIT_STATES = ['no_accounts', 'consent_required', 'not_ready'] as const;
export type ProductWaitState = (typeof PRODUCT_WAIT_STATES)[number];
