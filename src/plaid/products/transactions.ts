/**
 * Transactions: the `/transactions/sync` cursor loop.
 *
 * The run keeps the cursor it started from and pulls every page before anything is written; pages
 * go to Postgres as they arrive (COPY into the staging table) so memory does not grow with history.
 * The commit applies the latest event per transaction id set-based and moves the cursor in the same
 * transaction, so the stored cursor is never ahead of the stored data. A mutation during pagination
 * restarts the loop from the starting cursor.
 */
import { sql } from 'drizzle-orm';
import type { AccountBase, TransactionsSyncResponse } from 'plaid';
import { PlaidCallError } from '../../providers/plaid/plaid-call.js';
import type { Executor } from '../../services/item-status.js';
import type { SyncCounts } from '../../sync/sync-outcome.js';
import { STAGED_KIND, TransactionStager, discardStagedRows } from '../../sync/transaction-staging.js';
import { serializeAccount, upsertAccounts } from './accounts.js';
import type { ProductSyncContext, RegistryEntry } from './registry-entry.js';

/** Plaid's maximum page size; fewer calls against the per-item rate limit. */
const PAGE_SIZE = 500;
/** Passes in all when Plaid keeps reporting a mutation during pagination. */
export const MAX_PAGINATION_PASSES = 4;

/** The cursor moved under a run (another writer committed); nothing of this run is written. */
export class CursorMovedError extends Error {
  override name = 'CursorMovedError';
}

interface FetchedPass {
  cursor: string | null;
  counts: SyncCounts;
  accounts: AccountBase[];
}

async function fetchPass(ctx: ProductSyncContext, start: string | null): Promise<FetchedPass> {
  const stager = await TransactionStager.open(ctx.sql, ctx.runId);
  const counts: SyncCounts = { pages: 0, added: 0, modified: 0, removed: 0 };
  // Balances of the accounts seen: a handful per item, the newest page's figures win.
  const accounts = new Map<string, AccountBase>();
  let cursor = start;
  try {
    for (;;) {
      const page: TransactionsSyncResponse = await ctx.call('/transactions/sync', (config) =>
        ctx.plaid.transactionsSync({ access_token: ctx.accessToken, cursor: cursor ?? undefined, count: PAGE_SIZE }, config),
      );
      await stager.write(page);
      counts.pages++;
      counts.added += page.added.length;
      counts.modified += page.modified.length;
      counts.removed += page.removed.length;
      for (const account of page.accounts) accounts.set(account.account_id, account);
      // Before data is ready Plaid answers with an empty cursor: the run keeps the one it had.
      if (page.next_cursor) cursor = page.next_cursor;
      else if (page.has_more) throw new Error('/transactions/sync reported more pages without a cursor');
      await ctx.pageFetched(counts.pages);
      if (!page.has_more) break;
    }
    await stager.finish();
  } catch (error) {
    stager.abort(error as Error);
    throw error;
  }
  return { cursor, counts, accounts: [...accounts.values()] };
}

async function applyPass(tx: Executor, ctx: ProductSyncContext, pass: FetchedPass): Promise<SyncCounts> {
  const itemId = ctx.item.id;
  // The distinct-on sort of a large run stays in memory instead of spilling to disk.
  await tx.execute(sql`set local work_mem = '64MB'`);
  await upsertAccounts(tx, { itemId, userId: ctx.item.userId, product: 'transactions', accounts: pass.accounts });
  // One event per transaction id, the latest as Plaid sent them (pages in order; added, modified,
  // removed within a page). Pending → posted needs nothing special: the pending id is removed and
  // the posted one added, both by these statements.
  await tx.execute(sql`
    with latest as materialized (
      select distinct on (transaction_id) *
      from sync_staged_transactions
      where run_id = ${ctx.runId}
      order by transaction_id, seq desc
    ),
    removed as (
      delete from plaid_transactions t
      using latest l
      where l.kind = ${STAGED_KIND.removed} and t.plaid_transaction_id = l.transaction_id and t.item_id = ${itemId}
    )
    insert into plaid_transactions as t (
      plaid_transaction_id, account_id, item_id, amount, iso_currency_code, unofficial_currency_code, date,
      authorized_date, name, merchant_name, pending, pending_transaction_id, category_primary, category_detailed,
      payment_channel
    )
    select l.transaction_id, a.id, ${itemId}, l.amount, l.iso_currency_code, l.unofficial_currency_code, l.date,
      l.authorized_date, l.name, l.merchant_name, coalesce(l.pending, false), l.pending_transaction_id,
      l.category_primary, l.category_detailed, l.payment_channel
    from latest l
    join plaid_accounts a on a.plaid_account_id = l.account_id and a.item_id = ${itemId}
    where l.kind <> ${STAGED_KIND.removed}
    on conflict (plaid_transaction_id) do update set
      account_id = excluded.account_id,
      amount = excluded.amount,
      iso_currency_code = excluded.iso_currency_code,
      unofficial_currency_code = excluded.unofficial_currency_code,
      date = excluded.date,
      authorized_date = excluded.authorized_date,
      name = excluded.name,
      merchant_name = excluded.merchant_name,
      pending = excluded.pending,
      pending_transaction_id = excluded.pending_transaction_id,
      category_primary = excluded.category_primary,
      category_detailed = excluded.category_detailed,
      payment_channel = excluded.payment_channel,
      updated_at = now()
    where t.item_id = excluded.item_id`);
  if (ctx.fromScratch) {
    // A full re-pull lists every live transaction as added: anything else stored for the item is gone.
    await tx.execute(sql`
      delete from plaid_transactions t
      where t.item_id = ${itemId}
        and not exists (
          select 1 from sync_staged_transactions s
          where s.run_id = ${ctx.runId} and s.transaction_id = t.plaid_transaction_id and s.kind <> ${STAGED_KIND.removed}
        )`);
  }
  const moved = await tx.execute(sql`
    update plaid_items set transactions_cursor = ${pass.cursor}, updated_at = now()
    where id = ${itemId} and transactions_cursor is not distinct from ${ctx.item.transactionsCursor}
    returning id`);
  if (moved.length === 0) throw new CursorMovedError('the transactions cursor changed while the run was fetching');
  return pass.counts;
}

function isPaginationRestart(error: unknown): boolean {
  return error instanceof PlaidCallError && error.plaid.kind === 'restart_pagination';
}

export async function syncTransactions(ctx: ProductSyncContext): Promise<SyncCounts> {
  const start = ctx.fromScratch ? null : ctx.item.transactionsCursor;
  for (let pass = 1; ; pass++) {
    try {
      const fetched = await fetchPass(ctx, start);
      return await ctx.commit((tx) => applyPass(tx, ctx, fetched));
    } catch (error) {
      if (!isPaginationRestart(error) || pass >= MAX_PAGINATION_PASSES) throw error;
      // Plaid's rule: restart from the cursor the update started from, never from the failed page.
      await discardStagedRows(ctx.sql, ctx.runId);
    }
  }
}

export const transactionsEntry: RegistryEntry = {
  product: 'transactions',
  sync: syncTransactions,
  serializeAccount,
};
