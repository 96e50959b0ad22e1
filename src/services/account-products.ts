import type { AccountBase } from 'plaid';
import { PRODUCTS, type Product } from '../db/schema/products.js';
import { REGISTRY } from '../plaid/products/registry.js';

/**
 * Which products can read an account, best first (see docs/api.md, "The account → product rule"):
 * those whose `REGISTRY` entry covers its type (and subtype), in `PRODUCTS` order.
 */
function productsThatRead(account: Pick<AccountBase, 'type' | 'subtype'>): readonly Product[] {
  return PRODUCTS.filter((product) => {
    const covered = REGISTRY[product].accounts[account.type];
    return covered === 'all' || (covered !== undefined && account.subtype !== null && covered.includes(account.subtype));
  });
}

/**
 * The product an account is scoped to: the product the item was linked for when that product can
 * read the account, otherwise the first product the item is entitled to that can, otherwise the
 * first product that can, otherwise the linked product. Every account gets exactly one (the column
 * is NOT NULL with `accounts_product_check`); an account scoped to a product the item is not
 * entitled to is stored and shown, and never causes a call for that product.
 */
export function productForAccount(account: Pick<AccountBase, 'type' | 'subtype'>, linked: Product, entitled: readonly Product[] = []): Product {
  const readers = productsThatRead(account);
  if (readers.includes(linked)) return linked;
  return readers.find((product) => entitled.includes(product)) ?? readers[0] ?? linked;
}
