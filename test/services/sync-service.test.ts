import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError, NotFoundError, ValidationError } from '../../src/http/errors.js';
import { ProviderRegistry } from '../../src/providers/provider-registry.js';
import { ProviderSyncError } from '../../src/providers/sync-result.js';
import { STILL_RUNNING, runProductSync, syncProduct } from '../../src/services/sync-service.js';
import { PRODUCTS, type Product } from '../../src/db/schema/products.js';
import { useSyncFixture } from '../support/sync-fixture.js';
import { expectTransactionsMatchTruth, seedItem, type SeededItem } from '../support/sync-harness.js';

const fx = useSyncFixture();

const deps = () => ({ db: fx.database.db, syncs: fx.syncs, logger: fx.harness.logger });
// The simulator's institution that offers the product; seedItem's Sandbox-like default offers the rest.
const LINKS: Partial<Record<Product, { institutionId: string }>> = {
  investments: { institutionId: 'ins_sim_brokerage' },
  liabilities: { institutionId: 'ins_sim_lender' },
};

async function linked(product: Product): Promise<{ item: SeededItem; accountId: string }> {
  const item = await seedItem(fx.database.db, fx.sim.control, fx.harness.vault, fx.harness.plaid, { products: [product], transactionCount: 30, ...LINKS[product] });
  return { item, accountId: item.accounts.find((a) => a.product === product)!.id };
}

describe.each<Product>(PRODUCTS)('syncProduct for %s', (product) => {
  it('syncs the account and reports updated data', async () => {
    const { item, accountId } = await linked(product);
    await expect(syncProduct(deps(), { product, accountId, user: { id: item.userId } })).resolves.toEqual({ updated: true, errors: [] });
    if (product === 'transactions') await expectTransactionsMatchTruth(fx.database.db, fx.sim.control, item);
  });

  it('refuses an account of another product (422), of another user or unknown (404)', async () => {
    const { item, accountId } = await linked(product);
    const other = product === 'transactions' ? 'liabilities' : 'transactions';
    await expect(syncProduct(deps(), { product: other, accountId, user: { id: item.userId } })).rejects.toBeInstanceOf(ValidationError);
    await expect(syncProduct(deps(), { product, accountId, user: { id: randomUUID() } })).rejects.toBeInstanceOf(NotFoundError);
    await expect(syncProduct(deps(), { product, accountId: randomUUID(), user: { id: item.userId } })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers a provider error as updated: false with the error code', async () => {
    const { item, accountId } = await linked(product);
    fx.sim.control.loginRequired(item.plaidItemId);
    const result = await syncProduct(deps(), { product, accountId, user: { id: item.userId } });
    expect(result.updated).toBe(false);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^ITEM_LOGIN_REQUIRED: /);
  });
});

describe('syncProduct', () => {
  it('refuses an unknown product', async () => {
    await expect(syncProduct(deps(), { product: 'crypto', accountId: randomUUID(), user: { id: randomUUID() } })).rejects.toBeInstanceOf(ValidationError);
  });

  it('answers after the bounded wait while the run goes on', async () => {
    const { item, accountId } = await linked('transactions');
    let finish!: () => void;
    const slow = new ProviderRegistry([
      { provider: 'plaid', syncTransactions: () => new Promise((resolve) => (finish = () => resolve({ updated: true, errors: [] }))) },
    ]);
    const result = await syncProduct({ ...deps(), providers: slow, waitMs: 1 }, { product: 'transactions', accountId, user: { id: item.userId } });
    expect(result).toEqual({ updated: false, errors: [STILL_RUNNING] });
    finish();
  });

  it('reports an unreachable provider as an error line, and lets other failures through', async () => {
    const { item, accountId } = await linked('transactions');
    const failing = (error: Error) => new ProviderRegistry([{ provider: 'plaid', syncTransactions: () => Promise.reject(error) }]);
    const provider = await syncProduct({ ...deps(), providers: failing(new ProviderSyncError('plaid', 'X', 'y')) }, { product: 'transactions', accountId, user: { id: item.userId } });
    expect(provider).toEqual({ updated: false, errors: ['X: y'] });
    await expect(syncProduct({ ...deps(), providers: failing(new Error('boom')) }, { product: 'transactions', accountId, user: { id: item.userId } })).rejects.toThrow('boom');
  });

  it('needs a scheduler that can run syncs', async () => {
    const { item, accountId } = await linked('transactions');
    const recording = { request: () => Promise.resolve() };
    await expect(syncProduct({ ...deps(), syncs: recording }, { product: 'transactions', accountId, user: { id: item.userId } })).rejects.toBeInstanceOf(AppError);
  });
});

describe('runProductSync', () => {
  it('runs an item sync for workers and operators', async () => {
    const { item } = await linked('transactions');
    const outcome = await runProductSync({ syncs: fx.syncs }, { itemId: item.itemId, product: 'transactions' });
    expect(outcome).toMatchObject({ status: 'succeeded' });
  });
});
