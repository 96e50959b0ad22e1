import { describe, expect, it } from 'vitest';
import { createPlaidAdapter, toSyncResult } from '../../src/providers/plaid/plaid-adapter.js';
import { ProviderRegistry, type ProviderAdapter } from '../../src/providers/provider-registry.js';
import { ProviderSyncError } from '../../src/providers/sync-result.js';
import type { SyncOutcome } from '../../src/sync/sync-outcome.js';
import type { SyncRequest } from '../../src/sync/sync-scheduler.js';
import { seedItem, useSyncEnvironment } from '../support/sync-harness.js';

const counts = { pages: 1, added: 2, modified: 0, removed: 0 };

describe('ProviderRegistry', () => {
  const plaid: ProviderAdapter = { provider: 'plaid', syncTransactions: () => Promise.resolve({ updated: true, errors: [] }) };
  const other: ProviderAdapter = { provider: 'other', syncTransactions: () => Promise.resolve({ updated: false, errors: [] }) };
  const registry = new ProviderRegistry([plaid, other]);

  it('gives accounts without a provider to Plaid, and others to their own adapter', () => {
    expect(registry.forAccount({ id: 'a' })).toBe(plaid);
    expect(registry.forAccount({ id: 'a', provider: null })).toBe(plaid);
    expect(registry.forAccount({ id: 'a', provider: 'other' })).toBe(other);
  });

  it('refuses an account whose provider has no adapter', () => {
    expect(() => registry.forAccount({ id: 'a', provider: 'mx' })).toThrow(ProviderSyncError);
  });
});

describe('toSyncResult', () => {
  it('maps a clean run to updated, and everything else to a ProviderSyncError with the code', () => {
    expect(toSyncResult({ status: 'succeeded', runId: 'r', counts, changed: true })).toEqual({ updated: true, errors: [] });
    expect(toSyncResult({ status: 'succeeded', runId: 'r', counts, changed: false })).toEqual({ updated: false, errors: [] });
    const failed: SyncOutcome = { status: 'failed', runId: 'r', counts, error: { code: 'ITEM_LOGIN_REQUIRED', message: 'login', kind: 'needs_reauth' } };
    expect(() => toSyncResult(failed)).toThrow(expect.objectContaining({ code: 'ITEM_LOGIN_REQUIRED', provider: 'plaid' }));
    for (const reason of ['item_not_found', 'item_disconnected', 'product_unsupported', 'coalesced', 'stopped'] as const) {
      const error = (() => {
        try {
          toSyncResult({ status: 'skipped', runId: null, reason });
        } catch (e) {
          return e as ProviderSyncError;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(ProviderSyncError);
      expect(error!.describe()).toMatch(/^[A-Z_]+: .+/);
    }
  });
});

describe('the Plaid adapter', () => {
  const env = useSyncEnvironment();

  it('syncs the account’s item for the account’s product', async () => {
    const item = await seedItem(env.database.db, env.sim.control, env.harness.vault, env.harness.plaid, { transactionCount: 12 });
    const requests: SyncRequest[] = [];
    const adapter = createPlaidAdapter({
      db: env.database.db,
      runner: { run: (request) => (requests.push(request), env.harness.engine.run(request)) },
    });
    const account = item.accounts.find((a) => a.product === 'transactions')!;
    await expect(adapter.syncTransactions(account.id, { userId: item.userId })).resolves.toEqual({ updated: true, errors: [] });
    expect(requests).toEqual([{ itemId: item.itemId, product: 'transactions', trigger: 'api' }]);
  });

  it('never syncs an account for another user', async () => {
    const item = await seedItem(env.database.db, env.sim.control, env.harness.vault, env.harness.plaid, { transactionCount: 1 });
    const adapter = createPlaidAdapter({ db: env.database.db, runner: env.harness.engine });
    await expect(adapter.syncTransactions(item.accounts[0]!.id, { userId: '00000000-0000-4000-8000-000000000001' })).rejects.toMatchObject({
      code: 'ACCOUNT_NOT_FOUND',
    });
  });
});
