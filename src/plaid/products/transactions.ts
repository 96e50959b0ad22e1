/**
 * Transactions: the `/transactions/sync` cursor loop.
 *
 * The run keeps the cursor it started from and pulls every page before anything commits. Pages go
 * to Postgres as they arrive (COPY into the staging table, in chunks), and each committed chunk is
 * merged set-based into `plaid_transactions` inside the run's one transaction while the next pages
 * are fetched, so memory does not grow with history and the database works while Plaid answers.
 * The cursor moves in that same transaction, so the stored cursor is never ahead of the stored data.
 * A mutation during pagination rolls the merged chunks back and restarts from the starting cursor.
 */
import { sql } from 'drizzle-orm';
import type { AccountBase, TransactionsSyncResponse } from 'plaid';
import { PlaidCallError } from '../../providers/plaid/plaid-call.js';
import type { Executor } from '../../services/item-status.js';
import type { SyncCounts } from '../../sync/sync-outcome.js';
import { STAGED_KIND, TransactionStager, discardStagedRows } from '../../sync/transaction-staging.js';
import { serializeAccount, upsertAccounts } from './accounts.js';
import type { ProductSyncContext, RegistryEntry } from './registry-entry.js';
import { writeSinglePage } from './transactions-page-write.js';
import { TRANSACTION_CONFLICT_UPDATE } from './upsert-clauses.js';

/** Plaid's maximum page size; fewer calls against the per-item rate limit. */
const PAGE_SIZE = 500;
/** Staged rows per merge: large enough for set-based statements, small enough to overlap with fetching. */
export const MERGE_CHUNK_ROWS = 10_000;
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

/**
 * Runs statements on the run's transaction one after another, in the order they were queued, while
 * the caller goes on fetching. A failure is kept and thrown at the next `check` or `drain`.
 */
class SerialWork {
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | null = null;

  add(work: () => Promise<unknown>): void {
    this.tail = this.tail.then(async () => {
      if (this.failure === null) await work();
    }).catch((error: Error) => {
      this.failure ??= error;
    });
  }

  check(): void {
    if (this.failure !== null) throw this.failure;
  }

  async drain(): Promise<void> {
    await this.tail;
    this.check();
  }
}

/**
 * Merges staged events with `seq` in [from, to): per transaction id the latest event wins, a removal
 * deletes, anything else upserts. Chunks merged in order give the same result as one merge of all.
 * Pending → posted needs nothing special: the pending id is removed and the posted one added.
 */
async function mergeChunk(tx: Executor, ctx: ProductSyncContext, from: number, to: number): Promise<void> {
  const itemId = ctx.item.id;
  await tx.execute(sql`
    with latest as materialized (
      select distinct on (transaction_id) *
      from sync_staged_transactions
      where run_id = ${ctx.runId} and seq >= ${from} and seq < ${to}
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
    ${TRANSACTION_CONFLICT_UPDATE}`);
}

/**
 * Accounts the item does not have yet are added before rows that reference them are merged. Only
 * missing rows are inserted here: balances of existing accounts change after the item lock (an
 * account row updated this early could deadlock with a status change that locks the item first).
 */
async function addMissingAccounts(tx: Executor, ctx: ProductSyncContext, accounts: AccountBase[]): Promise<void> {
  const known = await tx.execute<{ plaid_account_id: string }>(sql`
    select plaid_account_id from plaid_accounts
    where plaid_account_id in (select jsonb_array_elements_text(${JSON.stringify(accounts.map((a) => a.account_id))}::jsonb))`);
  const existing = new Set([...known].map((row) => row.plaid_account_id));
  const missing = accounts.filter((a) => !existing.has(a.account_id));
  if (missing.length > 0) await upsertAccounts(tx, { itemId: ctx.item.id, userId: ctx.item.userId, product: 'transactions', accounts: missing });
}

function fetchPage(ctx: ProductSyncContext, cursor: string | null): Promise<TransactionsSyncResponse> {
  return ctx.call('/transactions/sync', (config) =>
    ctx.plaid.transactionsSync({ access_token: ctx.accessToken, cursor: cursor ?? undefined, count: PAGE_SIZE }, config),
  );
}

/** The promise is marked handled: a page left unread when the pass fails must not end the process. */
function prefetch(ctx: ProductSyncContext, cursor: string | null): Promise<TransactionsSyncResponse> {
  const page = fetchPage(ctx, cursor);
  page.catch(() => undefined);
  return page;
}

/** `first`: the pass's first page, already fetched (and reported) before the transaction began. */
async function fetchPass(tx: Executor, ctx: ProductSyncContext, start: string | null, first: TransactionsSyncResponse | null): Promise<FetchedPass> {
  const counts: SyncCounts = { pages: 0, added: 0, modified: 0, removed: 0 };
  // Balances of the accounts seen: a handful per item, the newest page's figures win.
  const accounts = new Map<string, AccountBase>();
  const work = new SerialWork();
  ctx.staging();
  let stager = await TransactionStager.open(ctx.sql, ctx.runId);
  let merged = 0;
  // Chunks whose COPY is still ending. A failed pass waits for them: a COPY that committed after
  // the pass's staged rows were discarded would leave its rows in the next pass's merges.
  const ending = new Set<Promise<unknown>>();
  // A chunk's COPY is ended and the next one opened at once; its merge is queued behind the
  // earlier ones and waits for that COPY to commit, while fetching and staging go on.
  const endChunk = () => {
    const from = merged;
    const to = stager.nextSeq;
    merged = to;
    const finished = stager.finish();
    const settled = finished.catch(() => undefined);
    ending.add(settled);
    void settled.then(() => ending.delete(settled));
    work.add(async () => {
      await finished;
      if (to > from) await mergeChunk(tx, ctx, from, to);
    });
  };
  let cursor = start;
  // The next page is asked for as soon as its cursor is known, so Plaid serves it while this
  // process stages the current one: at most the page being staged and the one arriving are held.
  let next: Promise<TransactionsSyncResponse> | null = first ? Promise.resolve(first) : prefetch(ctx, cursor);
  let reported = first !== null;
  try {
    while (next !== null) {
      const page = await next;
      next = null;
      cursor = nextCursor(cursor, page);
      if (page.has_more) next = prefetch(ctx, cursor);
      work.check();
      const unseen = page.accounts.filter((a) => !accounts.has(a.account_id));
      for (const account of page.accounts) accounts.set(account.account_id, account);
      if (unseen.length > 0) work.add(() => addMissingAccounts(tx, ctx, unseen));
      await stager.write(page);
      counts.pages++;
      counts.added += page.added.length;
      counts.modified += page.modified.length;
      counts.removed += page.removed.length;
      if (!reported) await ctx.pageFetched(counts.pages);
      reported = false;
      if (page.has_more && stager.nextSeq - merged >= MERGE_CHUNK_ROWS) {
        endChunk();
        stager = await TransactionStager.open(ctx.sql, ctx.runId, merged);
      }
    }
    endChunk();
    await work.drain();
  } catch (error) {
    stager.abort(error as Error);
    // Nothing of the pass may still be running when the caller rolls it back or restarts: not the
    // statements on the transaction, not a COPY that is ending, not a Plaid call for the next page.
    await Promise.all([work.drain().catch(() => undefined), ...ending, next?.catch(() => undefined)]);
    throw error;
  }
  return { cursor, counts, accounts: [...accounts.values()] };
}

/** Before data is ready Plaid answers with an empty cursor: the run keeps the one it had. */
function nextCursor(cursor: string | null, page: TransactionsSyncResponse): string | null {
  if (page.next_cursor) return page.next_cursor;
  if (page.has_more) throw new Error('/transactions/sync reported more pages without a cursor');
  return cursor;
}

function isPaginationRestart(error: unknown): boolean {
  return error instanceof PlaidCallError && error.plaid.kind === 'restart_pagination';
}

/**
 * Every account's balance as Plaid last refreshed it, asked alongside the first page. Sync pages
 * list only accounts with new transactions, so without this a quiet account kept its balance from
 * the day it was linked. `/accounts/get` is free and serves Plaid's cached balances, refreshed
 * with the item's data (once a day or more for Transactions): exactly what a sync should store.
 * `/accounts/balance/get` would ask the bank in real time, slowly, and is billed per call.
 */
function fetchBalances(ctx: ProductSyncContext): Promise<AccountBase[]> {
  const balances = ctx.call('/accounts/get', (config) => ctx.plaid.accountsGet({ access_token: ctx.accessToken }, config)).then((r) => r.accounts);
  // Read only after the first page: if that fails, its error is the run's, and this one is moot.
  balances.catch(() => undefined);
  return balances;
}

/**
 * The run's accounts to write: the pages' accounts (which may be new to the item), their balances
 * replaced by the fresher `/accounts/get` figures, and every other account the item already has.
 */
export function withFreshBalances(seen: readonly AccountBase[], fresh: readonly AccountBase[]) {
  const latest = new Map(fresh.map((account) => [account.account_id, account]));
  const listed = new Set(seen.map((account) => account.account_id));
  return {
    seen: seen.map((account) => latest.get(account.account_id) ?? account),
    /** Only refreshed, never added: an account the item does not have comes through update mode. */
    others: fresh.filter((account) => !listed.has(account.account_id)),
  };
}

export async function syncTransactions(ctx: ProductSyncContext): Promise<SyncCounts> {
  const start = ctx.fromScratch ? null : ctx.item.transactionsCursor;
  const balances = fetchBalances(ctx);
  // The first page decides the path: an update that fits in it is written directly, in one
  // statement; a longer one is staged and merged in chunks while later pages are fetched.
  const opening = await firstPage(ctx, start);
  const fresh = await balances;
  if (opening !== 'restart' && !opening.has_more) return writeOnePage(ctx, start, opening, fresh);
  let first = opening === 'restart' ? null : opening;
  // A restart asked for by the first call counts as the first pass.
  const firstPass = opening === 'restart' ? 2 : 1;
  let fetched: FetchedPass | null = null;

  const prepare = async (tx: Executor) => {
    // The distinct-on sorts of large chunks stay in memory instead of spilling to disk.
    await tx.execute(sql`set local work_mem = '64MB'`);
    for (let pass = firstPass; ; pass++) {
      try {
        // A savepoint per pass: a restart undoes the chunks this pass merged.
        const page = first;
        first = null;
        fetched = await tx.transaction((savepoint) => fetchPass(savepoint, ctx, start, page));
        break;
      } catch (error) {
        if (!isPaginationRestart(error) || pass >= MAX_PAGINATION_PASSES) throw error;
        // Plaid's rule: restart from the cursor the update started from, never from the failed page.
        await discardStagedRows(ctx.sql, ctx.runId);
      }
    }
    if (ctx.fromScratch) {
      // A full re-pull lists every live transaction as added: anything else stored for the item is gone.
      await tx.execute(sql`
        delete from plaid_transactions t
        where t.item_id = ${ctx.item.id}
          and not exists (
            select 1 from sync_staged_transactions s
            where s.run_id = ${ctx.runId} and s.transaction_id = t.plaid_transaction_id and s.kind <> ${STAGED_KIND.removed}
          )`);
    }
  };

  const apply = async (tx: Executor): Promise<SyncCounts> => {
    const pass: FetchedPass | null = fetched;
    if (!pass) throw new Error('the transactions pass did not complete');
    const accounts = withFreshBalances(pass.accounts, fresh);
    const listed = new Set(pass.accounts.map((account) => account.account_id));
    await upsertAccounts(tx, {
      itemId: ctx.item.id, userId: ctx.item.userId, product: 'transactions', accounts: [...accounts.seen, ...accounts.others],
      insertable: (account) => listed.has(account.account_id),
    });
    const moved = await tx.execute(sql`
      update plaid_items set transactions_cursor = ${pass.cursor}, updated_at = now()
      where id = ${ctx.item.id} and transactions_cursor is not distinct from ${ctx.item.transactionsCursor}
      returning id`);
    if (moved.length === 0) throw new CursorMovedError('the transactions cursor changed while the run was fetching');
    return pass.counts;
  };

  return ctx.commit(apply, prepare);
}

/**
 * The run's first page, fetched before any transaction or staging is opened; `restart` when Plaid
 * already asked for a pagination restart (the staged path's restart loop then takes over).
 */
async function firstPage(ctx: ProductSyncContext, start: string | null): Promise<TransactionsSyncResponse | 'restart'> {
  let page: TransactionsSyncResponse;
  try {
    page = await fetchPage(ctx, start);
  } catch (error) {
    if (isPaginationRestart(error) && MAX_PAGINATION_PASSES > 1) return 'restart';
    throw error;
  }
  await ctx.pageFetched(1);
  return page;
}

function writeOnePage(ctx: ProductSyncContext, start: string | null, page: TransactionsSyncResponse, fresh: readonly AccountBase[]): Promise<SyncCounts> {
  const cursor = nextCursor(start, page);
  const accounts = withFreshBalances(page.accounts, fresh);
  return ctx.commit(async (tx) => {
    const write = { itemId: ctx.item.id, userId: ctx.item.userId, start: ctx.item.transactionsCursor, cursor, fromScratch: ctx.fromScratch };
    // Sent together (one round trip); if the cursor had moved, the run's transaction rolls both back.
    const [written] = await Promise.all([
      writeSinglePage(tx, { ...page, accounts: accounts.seen }, write),
      upsertAccounts(tx, { itemId: ctx.item.id, userId: ctx.item.userId, product: 'transactions', accounts: accounts.others, insertable: () => false }),
    ]);
    if (!written) throw new CursorMovedError('the transactions cursor changed while the run was fetching');
    return { pages: 1, added: page.added.length, modified: page.modified.length, removed: page.removed.length };
  });
}

export const transactionsEntry: RegistryEntry = {
  product: 'transactions',
  sync: syncTransactions,
  serializeAccount,
};
