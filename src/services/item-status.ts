import { and, eq, ne, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { plaidAccounts, plaidItems } from '../db/schema/index.js';

/** A database handle or an open transaction, so status changes can join a caller's transaction. */
export type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0];

export interface StatusError {
  code: string;
  message?: string | undefined;
}

/**
 * Item status transitions, in one place for every path that moves them (webhooks, sync errors,
 * the hourly status check, update mode, disconnect). A disconnected item never comes back through
 * here: a re-link creates a new item.
 */
export async function markItemNeedsReauth(db: Executor, itemId: string, error: StatusError): Promise<boolean> {
  const rows = await db
    .update(plaidItems)
    .set({ status: 'needs_reauth', errorCode: error.code, errorMessage: error.message ?? null, updatedAt: sql`now()` })
    .where(and(eq(plaidItems.id, itemId), ne(plaidItems.status, 'disconnected')))
    .returning({ id: plaidItems.id });
  return rows.length > 0;
}

/**
 * Every caller has just heard from Plaid that the item works (update mode, `LOGIN_REPAIRED`, a clean
 * sync, a healthy `/item/get`). When that repairs a broken login (`needs_reauth`), the moment is kept:
 * a login error webhook that may be older is then checked with Plaid before it undoes the repair.
 * Routine confirmations of a healthy item are not kept, so a login error on it moves it at once.
 */
export async function markItemActive(db: Executor, itemId: string): Promise<boolean> {
  const rows = await db
    .update(plaidItems)
    .set({
      status: 'active',
      errorCode: null,
      errorMessage: null,
      loginConfirmedAt: sql`case when ${plaidItems.status} = 'needs_reauth' then now() else ${plaidItems.loginConfirmedAt} end`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(plaidItems.id, itemId), ne(plaidItems.status, 'disconnected')))
    .returning({ id: plaidItems.id });
  return rows.length > 0;
}

/**
 * A permanent error that leaves the status alone (an access token Plaid no longer accepts, say):
 * recorded so the API and the admin page show the item as broken instead of healthy. The next
 * healthy status check (`markItemActive`) clears it.
 */
export async function recordItemError(db: Executor, itemId: string, error: StatusError): Promise<boolean> {
  const rows = await db
    .update(plaidItems)
    .set({ errorCode: error.code, errorMessage: error.message ?? null, updatedAt: sql`now()` })
    .where(and(eq(plaidItems.id, itemId), ne(plaidItems.status, 'disconnected')))
    .returning({ id: plaidItems.id });
  return rows.length > 0;
}

/**
 * Soft delete: the item is `disconnected` and its active accounts `inactive`. Transactions,
 * holdings and liabilities stay as read-only history; the sync engine never writes a disconnected item.
 */
export async function markItemDisconnected(db: Executor, itemId: string, error?: StatusError): Promise<boolean> {
  const rows = await db
    .update(plaidItems)
    .set({
      status: 'disconnected',
      errorCode: error?.code ?? null,
      errorMessage: error?.message ?? null,
      disconnectedAt: sql`coalesce(${plaidItems.disconnectedAt}, now())`,
      newAccountsAvailable: false,
      updatedAt: sql`now()`,
    })
    .where(eq(plaidItems.id, itemId))
    .returning({ id: plaidItems.id });
  await db
    .update(plaidAccounts)
    .set({ status: 'inactive', updatedAt: sql`now()` })
    .where(and(eq(plaidAccounts.itemId, itemId), eq(plaidAccounts.status, 'active')));
  return rows.length > 0;
}
