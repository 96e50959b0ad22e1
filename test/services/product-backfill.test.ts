import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../../src/db/migrations.js';
import {
  applyProductBackfill,
  countAccountsWithoutProduct,
  LEGACY_PRODUCTS,
  planProductBackfill,
} from '../../src/services/product-backfill.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createLegacyDatabase, type LegacyDatabase } from '../support/legacy-database.js';

/** The legacy rows of the migration test: known, missing and unknown item products, and one account already set. */
async function insertLegacyRows(database: LegacyDatabase): Promise<void> {
  const investments = await database.insertItem('item-inv', 'investments');
  const liabilities = await database.insertItem('item-liab', 'liabilities');
  const bare = await database.insertItem('item-bare', null);
  const odd = await database.insertItem('item-odd', 'auth');
  await database.insertAccount(investments, 'acc-inv', null);
  await database.insertAccount(investments, 'acc-inv-2', null);
  await database.insertAccount(liabilities, 'acc-liab', null);
  await database.insertAccount(bare, 'acc-bare', null);
  await database.insertAccount(odd, 'acc-odd', null);
  await database.insertAccount(bare, 'acc-kept', 'liabilities');
}

const EXPECTED_PRODUCTS = {
  'acc-bare': 'transactions',
  'acc-inv': 'investments',
  'acc-inv-2': 'investments',
  'acc-kept': 'liabilities',
  'acc-liab': 'liabilities',
  'acc-odd': 'transactions',
};

describe('product backfill on a legacy database', () => {
  let legacy: LegacyDatabase;

  beforeAll(async () => {
    legacy = await createLegacyDatabase();
    await insertLegacyRows(legacy);
  });
  afterAll(() => legacy?.drop());

  it('plans per product without changing anything', async () => {
    const before = await legacy.accountProducts();
    expect(await planProductBackfill(legacy.db)).toEqual({
      byProduct: { transactions: 2, investments: 2, liabilities: 1 },
      total: 5,
    });
    expect(await legacy.accountProducts()).toEqual(before);
    expect(await countAccountsWithoutProduct(legacy.db)).toBe(5);
  });

  it('applies the plan, leaves accounts that have a product alone, and is idempotent', async () => {
    const plan = await planProductBackfill(legacy.db);
    expect(await applyProductBackfill(legacy.db)).toEqual(plan);
    expect(await legacy.accountProducts()).toEqual(EXPECTED_PRODUCTS);
    expect(await countAccountsWithoutProduct(legacy.db)).toBe(0);

    const nothing = { byProduct: { transactions: 0, investments: 0, liabilities: 0 }, total: 0 };
    expect(await applyProductBackfill(legacy.db)).toEqual(nothing);
    expect(await planProductBackfill(legacy.db)).toEqual(nothing);
  });

  it('lets the migration run afterwards without changing the backfilled products', async () => {
    await legacy.migrate();
    expect(await legacy.accountProducts()).toEqual(EXPECTED_PRODUCTS);
    expect(await countAccountsWithoutProduct(legacy.db)).toBe(0);
  });
});

describe('product backfill rule', () => {
  let backfilled: LegacyDatabase;
  let migrated: LegacyDatabase;

  beforeAll(async () => {
    [backfilled, migrated] = await Promise.all([createLegacyDatabase(), createLegacyDatabase()]);
    await Promise.all([insertLegacyRows(backfilled), insertLegacyRows(migrated)]);
  });
  afterAll(async () => {
    await backfilled?.drop();
    await migrated?.drop();
  });

  it('gives every account the same product as migration 0001 does', async () => {
    await applyProductBackfill(backfilled.db);
    await migrated.migrate();
    expect(await backfilled.accountProducts()).toEqual(await migrated.accountProducts());
  });

  it("knows exactly migration 0001's products, not the service's current list", () => {
    const migration = readFileSync(path.join(MIGRATIONS_FOLDER, '0001_enforce_plaid_account_product.sql'), 'utf8');
    const known = /WHEN i\."product" IN \(([^)]*)\)/.exec(migration)?.[1];
    expect(known?.split(',').map((name) => name.trim().replace(/'/g, ''))).toEqual([...LEGACY_PRODUCTS]);
  });
});

describe('product backfill on a migrated database', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.drop());

  it('has nothing to plan, apply or report', async () => {
    const nothing = { byProduct: { transactions: 0, investments: 0, liabilities: 0 }, total: 0 };
    expect(await planProductBackfill(database.db)).toEqual(nothing);
    expect(await applyProductBackfill(database.db)).toEqual(nothing);
    expect(await countAccountsWithoutProduct(database.db)).toBe(0);
  });
});
