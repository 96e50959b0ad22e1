import { AccountSubtype, AccountType, type AccountBase } from 'plaid';
import type { Product } from '../db/schema/products.js';

/**
 * Which products can read an account, best first (see docs/api.md, "The account → product rule").
 * Plaid's own coverage: /transactions/sync covers depository, credit and student-loan accounts;
 * investments covers investment accounts; liabilities covers credit cards, student loans and mortgages.
 */
function productsThatRead(account: Pick<AccountBase, 'type' | 'subtype'>): readonly Product[] {
  switch (account.type) {
    case AccountType.Investment:
    case AccountType.Brokerage:
      return ['investments'];
    case AccountType.Depository:
      return ['transactions'];
    case AccountType.Credit:
      return ['transactions', 'liabilities'];
    case AccountType.Loan:
      return account.subtype === AccountSubtype.Student ? ['transactions', 'liabilities'] : ['liabilities'];
    default:
      return [];
  }
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
