import { Products } from 'plaid';
import { describe, expect, it } from 'vitest';
import { inferLinkedProduct, syncedProductsOf } from '../../src/plaid/item-products.js';

describe('item metadata → product', () => {
  it('maps Plaid’s products to the synced ones, dropping the others', () => {
    expect(syncedProductsOf({ products: [Products.Auth, Products.Transactions, Products.Identity], billed_products: [] })).toEqual(['transactions']);
  });

  it('sorts them: Plaid gives no order, and the stored list must not change with it', () => {
    expect(syncedProductsOf({ products: [Products.Transactions, Products.Auth, Products.Liabilities, Products.Investments], billed_products: [] }))
      .toEqual(['investments', 'liabilities', 'transactions']);
    expect(syncedProductsOf({ products: [Products.Liabilities, Products.Transactions, Products.Liabilities], billed_products: [] }))
      .toEqual(['liabilities', 'transactions']);
  });

  it('falls back to billed_products when products is absent', () => {
    expect(syncedProductsOf({ billed_products: [Products.Investments] })).toEqual(['investments']);
  });

  it('infers a product only when exactly one is on the item', () => {
    expect(inferLinkedProduct({ products: [Products.Liabilities, Products.Auth], billed_products: [] })).toBe('liabilities');
    expect(inferLinkedProduct({ products: [Products.Transactions, Products.Liabilities], billed_products: [] })).toBeUndefined();
    expect(inferLinkedProduct({ products: [Products.Auth], billed_products: [] })).toBeUndefined();
    expect(inferLinkedProduct({ products: [], billed_products: [] })).toBeUndefined();
  });
});
