import { and, eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { plaidAccounts } from '../../db/schema/index.js';
import type { SyncOutcome, SkipReason } from '../../sync/sync-outcome.js';
import type { SyncRequest, SyncTrigger } from '../../sync/sync-scheduler.js';
import type { ProviderAdapter } from '../provider-registry.js';
import { ProviderSyncError, type SyncResult } from '../sync-result.js';

export const PLAID_PROVIDER = 'plaid';

/** Whatever runs (or joins) a sync and reports its outcome: the engine, or a scheduler in front of it. */
export interface SyncRunner {
  run(request: SyncRequest): Promise<SyncOutcome>;
}

export interface PlaidAdapterDeps {
  db: Database;
  runner: SyncRunner;
  /** Recorded on the run; the REST endpoint's runs are `api`. */
  trigger?: SyncTrigger;
}

const SKIPS: Record<SkipReason, { code: string; message: string }> = {
  item_not_found: { code: 'ITEM_NOT_FOUND', message: 'the item behind this account no longer exists' },
  item_disconnected: { code: 'ITEM_DISCONNECTED', message: 'the item is disconnected; link the institution again' },
  product_unsupported: { code: 'PRODUCTS_NOT_SUPPORTED', message: 'the institution does not support this product for the item' },
  product_waiting: { code: 'PRODUCT_WAITING', message: 'the product waits for accounts, consent or readiness at Plaid' },
  product_not_entitled: { code: 'PRODUCT_NOT_ENTITLED', message: 'the item was not linked for this product; enabling it (POST /api/items/{id}/products/{product}) may be billed by Plaid' },
  coalesced: { code: 'SYNC_COALESCED', message: 'a sync of this item was already running elsewhere' },
  stopped: { code: 'SERVICE_STOPPING', message: 'the service is shutting down; try again shortly' },
};

/** A run's outcome in the provider contract: fresh data or not, and fatal failures as `ProviderSyncError`. */
export function toSyncResult(outcome: SyncOutcome): SyncResult {
  if (outcome.status === 'succeeded') return { updated: outcome.changed, errors: [] };
  const { code, message } = outcome.status === 'failed' ? outcome.error : SKIPS[outcome.reason];
  throw new ProviderSyncError(PLAID_PROVIDER, code, message);
}

/**
 * The Plaid adapter. Syncs run on the item (Plaid syncs items, not accounts) for the account's
 * product, through the engine; transient Plaid failures are retried inside every Plaid call the
 * engine makes (`createPlaidCaller`), so what reaches here is final.
 */
export function createPlaidAdapter(deps: PlaidAdapterDeps): ProviderAdapter {
  return {
    provider: PLAID_PROVIDER,
    async syncTransactions(accountId, { userId }) {
      const [account] = await deps.db
        .select({ itemId: plaidAccounts.itemId, product: plaidAccounts.product })
        .from(plaidAccounts)
        .where(and(eq(plaidAccounts.id, accountId), eq(plaidAccounts.userId, userId)));
      if (!account) throw new ProviderSyncError(PLAID_PROVIDER, 'ACCOUNT_NOT_FOUND', 'no such account for this user');
      const outcome = await deps.runner.run({ itemId: account.itemId, product: account.product, trigger: deps.trigger ?? 'api' });
      return toSyncResult(outcome);
    },
  };
}
