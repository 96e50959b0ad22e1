import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { PlaidCallError, AbortedError } from '../providers/plaid/plaid-call.js';
import { CursorMovedError } from '../plaid/products/transactions.js';
import { markItemDisconnected, markItemNeedsReauth, recordItemError } from '../services/item-status.js';
import { TokenVaultError } from '../vault/token-vault.js';
import type { ProductWaitState } from '../db/schema/products.js';
import { enterWaitState, finishRun, type RunKey } from './run-lock.js';
import type { SyncCounts, SyncFailure } from './sync-outcome.js';

/** The item went `disconnected` while the run fetched: nothing is written for it. */
export class ItemDisconnectedError extends Error {
  override name = 'ItemDisconnectedError';
}

/** The run row is no longer `running` (declared abandoned by another process): this run must not commit. */
export class RunFencedError extends Error {
  override name = 'RunFencedError';
}

/** Turns whatever stopped a run into the failure recorded on its row and reported to callers. */
export function describeFailure(error: unknown): SyncFailure {
  if (error instanceof PlaidCallError) return { code: error.plaid.code, message: error.plaid.message, kind: error.plaid.kind };
  if (error instanceof ItemDisconnectedError) return { code: 'ITEM_DISCONNECTED', message: 'the item was disconnected during the sync', kind: 'internal' };
  if (error instanceof RunFencedError) return { code: 'RUN_ABANDONED', message: 'the run was declared abandoned before it could commit', kind: 'internal' };
  if (error instanceof CursorMovedError) return { code: 'CURSOR_MOVED', message: error.message, kind: 'internal' };
  if (error instanceof AbortedError) return { code: 'ABORTED', message: 'the sync was stopped before it finished', kind: 'internal' };
  if (error instanceof TokenVaultError) return { code: 'ACCESS_TOKEN_UNREADABLE', message: 'the stored access token could not be decrypted', kind: 'internal' };
  // Internal messages (SQL, stack details) are logged, never handed to callers.
  return { code: 'INTERNAL_ERROR', message: 'the sync failed with an internal error', kind: 'internal' };
}

const WAIT_STATE_BY_KIND: Partial<Record<SyncFailure['kind'], ProductWaitState>> = {
  product_no_accounts: 'no_accounts',
  consent_required: 'consent_required',
  not_ready: 'not_ready',
};

/**
 * Records a failed run and applies what the error means for the item, in one transaction: login
 * required → `needs_reauth`; item gone or consent revoked → `disconnected` (soft delete); product
 * not supported → the product is marked unsupported, the item untouched; no accounts for the
 * product, consent missing or data not ready → the product's wait state (`sync_state.state`), the
 * item untouched; any other permanent Plaid error (`fatal`, e.g. INVALID_ACCESS_TOKEN) → recorded
 * on the item, whose status stays.
 */
export async function recordFailure(db: Database, runId: string, key: RunKey, failure: SyncFailure, counts: SyncCounts): Promise<void> {
  await db.transaction(async (tx) => {
    const status = failure.code === 'ABORTED' ? 'abandoned' : 'failed';
    const finished = await finishRun(tx, runId, { status, counts, error: { code: failure.code, message: failure.message } });
    if (!finished) return;
    const statusError = { code: failure.code, message: failure.message };
    if (failure.kind === 'needs_reauth') await markItemNeedsReauth(tx, key.itemId, statusError);
    if (failure.kind === 'revoked') await markItemDisconnected(tx, key.itemId, statusError);
    if (failure.kind === 'fatal') await recordItemError(tx, key.itemId, statusError);
    const waitState = WAIT_STATE_BY_KIND[failure.kind];
    if (waitState) await enterWaitState(tx, key, waitState, failure.code);
    if (failure.kind === 'product_unsupported') {
      await tx.execute(sql`
        update plaid_items set unsupported_products = array_append(unsupported_products, ${key.product}), updated_at = now()
        where id = ${key.itemId} and not (${key.product} = any(unsupported_products))`);
    }
  });
}
