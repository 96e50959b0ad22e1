import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database, Sql } from '../db/client.js';
import { plaidAccounts, syncRuns, webhookEvents } from '../db/schema/index.js';

export const RECENT_LIMIT = 20;

/** What the detail page shows about accounts: never anything secret, balances as numeric text. */
export function itemAccounts(db: Database, itemId: string) {
  return db
    .select({
      id: plaidAccounts.id,
      name: plaidAccounts.name,
      mask: plaidAccounts.mask,
      type: plaidAccounts.type,
      subtype: plaidAccounts.subtype,
      product: plaidAccounts.product,
      status: plaidAccounts.status,
      replacedBy: plaidAccounts.replacedBy,
      balanceCurrent: plaidAccounts.balanceCurrent,
      balanceAvailable: plaidAccounts.balanceAvailable,
      isoCurrencyCode: plaidAccounts.isoCurrencyCode,
      unofficialCurrencyCode: plaidAccounts.unofficialCurrencyCode,
    })
    .from(plaidAccounts)
    .where(eq(plaidAccounts.itemId, itemId))
    .orderBy(plaidAccounts.product, plaidAccounts.status, plaidAccounts.name, plaidAccounts.id);
}

export type AccountRow = Awaited<ReturnType<typeof itemAccounts>>[number];

export function recentSyncRuns(db: Database, itemId: string) {
  return db
    .select({
      id: syncRuns.id,
      product: syncRuns.product,
      trigger: syncRuns.trigger,
      status: syncRuns.status,
      startedAt: syncRuns.startedAt,
      finishedAt: syncRuns.finishedAt,
      pages: syncRuns.pages,
      added: syncRuns.added,
      modified: syncRuns.modified,
      removed: syncRuns.removed,
      errorCode: syncRuns.errorCode,
      errorMessage: syncRuns.errorMessage,
    })
    .from(syncRuns)
    .where(eq(syncRuns.itemId, itemId))
    .orderBy(desc(syncRuns.startedAt))
    .limit(RECENT_LIMIT);
}

export type SyncRunRow = Awaited<ReturnType<typeof recentSyncRuns>>[number];

export function hasRunningSync(db: Database, itemId: string) {
  return db
    .select({ id: syncRuns.id })
    .from(syncRuns)
    .where(and(eq(syncRuns.itemId, itemId), eq(syncRuns.status, 'running')))
    .limit(1)
    .then((rows) => rows.length > 0);
}

/** The Plaid error a webhook carries (`ITEM ERROR`, `USER_PERMISSION_REVOKED`): its code only, never the body. */
export function plaidErrorCodeOf() {
  return sql<string | null>`${webhookEvents.body}->'error'->>'error_code'`;
}

export function recentItemWebhooks(db: Database, itemId: string) {
  return db
    .select({
      id: webhookEvents.id,
      receivedAt: webhookEvents.receivedAt,
      webhookType: webhookEvents.webhookType,
      webhookCode: webhookEvents.webhookCode,
      status: webhookEvents.status,
      error: webhookEvents.error,
      plaidErrorCode: plaidErrorCodeOf(),
    })
    .from(webhookEvents)
    .where(eq(webhookEvents.itemId, itemId))
    .orderBy(desc(webhookEvents.receivedAt))
    .limit(RECENT_LIMIT);
}

export type ItemWebhookRow = Awaited<ReturnType<typeof recentItemWebhooks>>[number];

/** A product of the item that waits instead of syncing on schedule, and the Plaid code that says why. */
export interface ProductWaitRow {
  product: string;
  state: string;
  code: string | null;
  since: string | null;
}

/** Products in a wait state (`sync_state.state`) or refused by Plaid (`unsupported_products`). */
export async function productWaitStates(sql: Sql, itemId: string): Promise<ProductWaitRow[]> {
  return sql<ProductWaitRow[]>`
    select s.product, s.state, s.state_code as code, to_json(s.state_since)#>>'{}' as since
    from sync_state s where s.item_id = ${itemId} and s.state is not null
    union all
    select u.product, 'unsupported', 'PRODUCTS_NOT_SUPPORTED', null
    from plaid_items i, unnest(i.unsupported_products) as u(product) where i.id = ${itemId}
    order by 1`;
}
