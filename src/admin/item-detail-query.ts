import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
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
