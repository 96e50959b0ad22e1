import type { Item } from 'plaid';
import { isProduct, type Product } from '../db/schema/products.js';

/** The products on Plaid's item metadata (`/item/get`) that this service syncs, sorted: what `plaid_items.products` stores. */
export function syncedProductsOf(item: Pick<Item, 'products' | 'billed_products'>): Product[] {
  // `products` is what was added to the Item; older responses only carry `billed_products`.
  const listed: readonly string[] = item.products ?? item.billed_products;
  // Sorted: Plaid's order carries no meaning, and a stored list that changed only in order would
  // read as a change of the item (the change feed's `item.updated`).
  return [...new Set(listed.filter(isProduct))].sort();
}

/** What an item row takes from Plaid's item metadata whenever the service reads it (the exchange, update mode). */
export function itemMetadataColumns(item: Pick<Item, 'products' | 'billed_products' | 'consent_expiration_time'>) {
  return {
    products: syncedProductsOf(item),
    consentExpiresAt: item.consent_expiration_time ? new Date(item.consent_expiration_time) : null,
  };
}

/**
 * The product an Item was linked for, read from its metadata: only when exactly one synced product
 * is on it. With two (say transactions and liabilities) the metadata cannot say which one the user
 * meant, and guessing would scope every account to the wrong product.
 */
export function inferLinkedProduct(item: Pick<Item, 'products' | 'billed_products'>): Product | undefined {
  const products = syncedProductsOf(item);
  return products.length === 1 ? products[0] : undefined;
}

/**
 * The products the service may call for an Item (docs/api.md, "Product entitlement"): the product
 * it was linked for, and those Plaid confirms in `/item/get`: initialized at Link (`products`,
 * `billed_products`: required, required-if-supported and supported optional products) or consented
 * without being initialized (`consented_products`: `additional_consented_products`). Calling any
 * other product makes Plaid add and bill it, or refuse it with ADDITIONAL_CONSENT_REQUIRED.
 */
export function entitledProductsOf(
  item: Pick<Item, 'products' | 'billed_products' | 'consented_products'>,
  linked: Product | null,
): Product[] {
  const confirmed: readonly string[] = [...(item.products ?? []), ...item.billed_products, ...(item.consented_products ?? [])];
  return [...new Set([...(linked ? [linked] : []), ...confirmed.filter(isProduct)])].sort();
}
