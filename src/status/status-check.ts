import type { PlaidApi } from 'plaid';
import type { Database, Sql } from '../db/client.js';
import type { Logger } from '../logger.js';
import { entitledProductsOf, syncedProductsOf } from '../plaid/item-products.js';
import { itemErrorEffect } from '../plaid/errors.js';
import { PlaidCallError, createPlaidCaller, type PlaidCall } from '../providers/plaid/plaid-call.js';
import { markItemActive, markItemDisconnected, markItemNeedsReauth, recordItemError } from '../services/item-status.js';
import { skipsWaitingProducts } from '../sync/run-lock.js';
import type { SyncScheduler } from '../sync/sync-scheduler.js';
import type { TokenVault } from '../vault/token-vault.js';
import { itemSyncProducts } from './item-sync-products.js';
import type { StatusCheckTrigger } from './status-checks.js';

export interface StatusCheckDeps {
  db: Database;
  sql: Sql;
  plaid: PlaidApi;
  vault: TokenVault;
  syncs: SyncScheduler;
  logger: Logger;
  call?: PlaidCall;
}

export type StatusCheckResult =
  | { status: 'active'; syncsRequested: number }
  | { status: 'needs_reauth' | 'disconnected'; errorCode: string }
  | { status: 'unchanged'; errorCode: string }
  | { status: 'skipped'; reason: 'item_not_found' | 'item_disconnected' };

interface ItemRow {
  id: string;
  plaid_item_id: string;
  status: string;
  access_token_ciphertext: string;
  access_token_key_id: string;
}

const defaultCall = createPlaidCaller();

/**
 * Archetype 2, one item: ask Plaid how the item is (`/item/get`), move its status accordingly and,
 * if it is healthy, queue its syncs. Transient Plaid failures throw, so the job is retried later.
 */
export async function checkItemStatus(
  deps: StatusCheckDeps,
  input: { itemId: string; trigger: StatusCheckTrigger; signal?: AbortSignal },
): Promise<StatusCheckResult> {
  const [item] = await deps.sql<ItemRow[]>`
    select id, plaid_item_id, status, access_token_ciphertext, access_token_key_id
    from plaid_items where id = ${input.itemId}`;
  if (!item) return { status: 'skipped', reason: 'item_not_found' };
  if (item.status === 'disconnected') return { status: 'skipped', reason: 'item_disconnected' };

  const accessToken = deps.vault.decrypt({ keyId: item.access_token_key_id, ciphertext: item.access_token_ciphertext }, item.plaid_item_id);
  const call = deps.call ?? defaultCall;
  // Calls are counted and timed by the instrumented Plaid client (plaid_api_requests_total).
  let response;
  try {
    response = await call('/item/get', (config) => deps.plaid.itemGet({ access_token: accessToken }, config), input.signal ? { signal: input.signal } : {});
  } catch (error) {
    if (!(error instanceof PlaidCallError)) throw error;
    // A product endpoint's way of saying the same thing as `item.error` below.
    if (error.plaid.kind === 'needs_reauth') {
      await markItemNeedsReauth(deps.db, item.id, { code: error.plaid.code, message: error.plaid.message });
      return { status: 'needs_reauth', errorCode: error.plaid.code };
    }
    if (error.plaid.kind === 'revoked') {
      await deps.db.transaction((tx) => markItemDisconnected(tx, item.id, { code: error.plaid.code, message: error.plaid.message }));
      return { status: 'disconnected', errorCode: error.plaid.code };
    }
    if (error.plaid.kind === 'transient') throw error;
    // Permanent (INVALID_ACCESS_TOKEN, say): retrying cannot help, and an item left looking healthy
    // while every check fails hides it from the operator. Record it; the status stays.
    await recordItemError(deps.db, item.id, { code: error.plaid.code, message: error.plaid.message });
    await deps.sql`update plaid_items set last_status_check_at = now() where id = ${item.id}`;
    deps.logger.warn({ itemId: item.id, plaidErrorCode: error.plaid.code }, 'status_check_item_error');
    return { status: 'unchanged', errorCode: error.plaid.code };
  }

  const plaidError = response.item.error;
  const code = plaidError?.error_code;
  const message = plaidError?.error_message;
  if (code) {
    const effect = itemErrorEffect(code);
    if (effect === 'needs_reauth') {
      // The login, a permission not granted, no eligible account: the user fixes each in update mode.
      await markItemNeedsReauth(deps.db, item.id, { code, message });
      return { status: 'needs_reauth', errorCode: code };
    }
    if (effect === 'revoked') {
      await deps.db.transaction((tx) => markItemDisconnected(tx, item.id, { code, message }));
      return { status: 'disconnected', errorCode: code };
    }
    // Another item-level error (an institution outage, say) is recorded; the status stays as it is.
    await deps.sql`update plaid_items set error_code = ${code}, error_message = ${message ?? null},
      last_status_check_at = now(), updated_at = now() where id = ${item.id}`;
    return { status: 'unchanged', errorCode: code };
  }

  await markItemActive(deps.db, item.id);
  // Entitlement only grows here: a product Plaid now confirms (added in update mode, say) is already
  // billed or consented, and one enabled on purpose stays enabled.
  await deps.sql`
    update plaid_items set products = ${syncedProductsOf(response.item)}::text[],
      entitled_products = array(select distinct unnest(entitled_products || ${entitledProductsOf(response.item, null)}::text[]) order by 1),
      consent_expires_at = ${response.item.consent_expiration_time ?? null}, last_status_check_at = now()
    where id = ${item.id}`;
  // A product waiting for the user or for Plaid gets no job on schedule: its run would only be refused.
  const products = await itemSyncProducts(deps.db, item.id, { skipWaiting: skipsWaitingProducts(input.trigger) });
  for (const product of products) await deps.syncs.request({ itemId: item.id, product, trigger: input.trigger });
  deps.logger.debug({ itemId: item.id, products, trigger: input.trigger }, 'status_check_complete');
  return { status: 'active', syncsRequested: products.length };
}
