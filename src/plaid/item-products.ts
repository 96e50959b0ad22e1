import type { Item } from 'plaid';
import { isProduct, type Product } from '../db/schema/products.js';

/** The products on Plaid's item metadata (`/item/get`) that this service syncs, in Plaid's order. */
export function syncedProductsOf(item: Pick<Item, 'products' | 'billed_products'>): Product[] {
  // `products` is what was added to the Item; older responses only carry `billed_products`.
  const listed: readonly string[] = item.products ?? item.billed_products;
  return [...new Set(listed.filter(isProduct))];
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
