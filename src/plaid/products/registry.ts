import type { Product } from '../../db/schema/products.js';
import { investmentsEntry } from './investments.js';
import { liabilitiesEntry } from './liabilities.js';
import type { RegistryEntry } from './registry-entry.js';
import { transactionsEntry } from './transactions.js';

/** Every product the service syncs; typed over `PRODUCTS`, so a product without an entry does not compile. */
export const REGISTRY: Readonly<Record<Product, RegistryEntry>> = {
  transactions: transactionsEntry,
  investments: investmentsEntry,
  liabilities: liabilitiesEntry,
};
