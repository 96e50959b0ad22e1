/**
 * Transactions: the `/transactions/sync` cursor loop.
 *
 * An update that fits in one page is written in one statement. A longer one is staged and merged in
 * chunks (`transactions-pass.ts`) inside a transaction that ends with the new cursor, so the stored
 * cursor is never ahead of the stored data. A first pull (no stored cursor) may be longer than
 * Plaid's per-item rate limit allows in a minute: it commits in checkpoints (data and a
 * mid-pagination cursor together), waits out the limit with no transaction open and goes on from
 * the checkpoint, in this run or, after a crash, in the next. Other updates keep one transaction.
 *
 * A mutation during pagination restarts from the cursor the pagination started from, as Plaid asks.
 * Before any checkpoint committed, the pass's savepoint is rolled back and the pass runs again. Once
 * one did, the stored rows are ahead of that start, and a transaction added and then removed since
 * would be listed by neither pass: the pull restarts from no cursor in one transaction that also
 * deletes every stored transaction it does not list (as a re-pull from scratch does).
 */
import { sql } from 'drizzle-orm';
import { AccountSubtype, AccountType, Products, type AccountBase, type TransactionsSyncResponse } from 'plaid';
import { PlaidCallError } from '../../providers/plaid/plaid-call.js';
import type { Executor } from '../../services/item-status.js';
import type { SyncCounts } from '../../sync/sync-outcome.js';
import { STAGED_KIND, discardStagedRows } from '../../sync/transaction-staging.js';
import { serializeAccount, upsertAccounts } from './accounts.js';
import type { Checkpoint, ProductSyncContext, RegistryEntry } from './registry-entry.js';
import { writeSinglePage } from './transactions-page-write.js';
import { fetchPage, fetchPass, isRateLimitError, nextCursor, waitOutRateLimit, type FetchedPass } from './transactions-pass.js';

export { MERGE_CHUNK_ROWS } from './transactions-pass.js';
/** Passes in all when Plaid keeps reporting a mutation during pagination. */
export const MAX_PAGINATION_PASSES = 4;

/** The cursor moved under a run (another writer committed); nothing of this run is written. */
export class CursorMovedError extends Error {
  override name = 'CursorMovedError';
}

/** A mutation after a checkpoint committed: the pull starts over from no cursor, reconciling. */
class RestartFromScratch extends Error {}

function isPaginationRestart(error: unknown): boolean {
  return error instanceof PlaidCallError && error.plaid.kind === 'restart_pagination';
}

const add = (a: SyncCounts, b: SyncCounts): SyncCounts => ({
  pages: a.pages + b.pages, added: a.added + b.added, modified: a.modified + b.modified, removed: a.removed + b.removed,
});

/** Where the run stands between its commits. */
interface RunState {
  /** The cursor stored now (the compare-and-set's expected value). */
  stored: string | null;
  /** Where the next pass starts, and the page already asked for there. */
  cursor: string | null;
  first: Promise<TransactionsSyncResponse> | null;
  firstReported: boolean;
  /** Checkpoints allowed: a first pull (or its continuation) that deletes nothing it does not list. */
  checkpoints: boolean;
  /** Delete stored transactions the pass does not list (a re-pull from scratch). */
  reconcile: boolean;
  /** A checkpoint of this pull is committed: a mutation can no longer be undone by a savepoint. */
  committed: boolean;
  totals: SyncCounts;
  /** Pagination restarts so far (a first call that asked for one counts). */
  restarts: number;
  idle: { waits: number };
  /** Every account's balance from `/accounts/get`, written with each commit. */
  fresh: readonly AccountBase[];
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
  const { item } = ctx;
  const start = ctx.fromScratch ? null : item.transactionsCursor;
  const state: RunState = {
    stored: item.transactionsCursor,
    cursor: start,
    first: null,
    firstReported: false,
    checkpoints: !ctx.fromScratch && (start === null || item.transactionsCursorPartial),
    reconcile: ctx.fromScratch,
    committed: !ctx.fromScratch && item.transactionsCursorPartial,
    totals: { pages: 0, added: 0, modified: 0, removed: 0 },
    restarts: 0,
    idle: { waits: 0 },
    fresh: [],
  };
  const balances = fetchBalances(ctx);
  // The first page decides the path: an update that fits in it is written directly, in one
  // statement; a longer one is staged and merged in chunks while later pages are fetched.
  const opening = await firstPage(ctx, state);
  state.fresh = await balances;
  if (opening === 'restart') {
    // A restart asked for by the first call counts as the first pass.
    state.restarts = 1;
    if (state.committed) restartFromScratch(state);
  } else if (!opening.has_more) {
    return writeOnePage(ctx, start, opening, state.fresh);
  } else {
    state.first = Promise.resolve(opening);
    state.firstReported = true;
  }
  for (;;) {
    let pass: FetchedPass;
    try {
      pass = await commitPass(ctx, state);
    } catch (error) {
      if (!(error instanceof RestartFromScratch)) throw error;
      await discardStagedRows(ctx.sql, ctx.runId);
      restartFromScratch(state);
      continue;
    }
    if (pass.end === 'done') return state.totals;
    await discardStagedRows(ctx.sql, ctx.runId);
    state.cursor = pass.cursor;
    state.first = pass.carried;
    state.firstReported = false;
    if (pass.limitedBy) await waitOutRateLimit(ctx, state.idle, pass.limitedBy);
  }
}

function restartFromScratch(state: RunState): void {
  Object.assign(state, { cursor: null, first: null, firstReported: false, checkpoints: false, reconcile: true, committed: false });
}

/** One transaction: a pass (restarted on a mutation while a savepoint can undo it), then its commit. */
async function commitPass(ctx: ProductSyncContext, state: RunState): Promise<FetchedPass> {
  let fetched: FetchedPass | null = null;

  const prepare = async (tx: Executor) => {
    // The distinct-on sorts of large chunks stay in memory instead of spilling to disk.
    await tx.execute(sql`set local work_mem = '64MB'`);
    for (;;) {
      try {
        // A savepoint per pass: a restart undoes the chunks this pass merged.
        const options = {
          start: state.cursor, first: state.first, firstReported: state.firstReported, pagesBefore: state.totals.pages,
          checkpoints: state.checkpoints, checkpointAfterMs: ctx.checkpointAfterMs, idle: state.idle,
        };
        state.first = null;
        fetched = await tx.transaction((savepoint) => fetchPass(savepoint, ctx, options));
        break;
      } catch (error) {
        if (!isPaginationRestart(error) || state.restarts + 1 >= MAX_PAGINATION_PASSES) throw error;
        state.restarts++;
        if (state.committed) throw new RestartFromScratch();
        // Plaid's rule: restart from the cursor the update started from, never from the failed page.
        await discardStagedRows(ctx.sql, ctx.runId);
      }
    }
    if (state.reconcile) {
      // A full re-pull lists every live transaction as added: anything else stored for the item is gone.
      // Joined by hash whatever the staging table's statistics say: taken while other runs' rows
      // were staged, they promise one row for this run, and a nested loop over a whole history
      // compared every stored row with every staged one (minutes).
      await tx.execute(sql`set local enable_nestloop = off`);
      await tx.execute(sql`
        delete from plaid_transactions t
        where t.item_id = ${ctx.item.id}
          and not exists (
            select 1 from sync_staged_transactions s
            where s.run_id = ${ctx.runId} and s.transaction_id = t.plaid_transaction_id and s.kind <> ${STAGED_KIND.removed}
          )`);
      await tx.execute(sql`set local enable_nestloop to default`);
    }
  };

  const apply = async (tx: Executor): Promise<SyncCounts | Checkpoint> => {
    const pass: FetchedPass | null = fetched;
    if (!pass) throw new Error('the transactions pass did not complete');
    const accounts = withFreshBalances(pass.accounts, state.fresh);
    const listed = new Set(pass.accounts.map((account) => account.account_id));
    await upsertAccounts(tx, {
      itemId: ctx.item.id, userId: ctx.item.userId, product: 'transactions', accounts: [...accounts.seen, ...accounts.others],
      insertable: (account) => listed.has(account.account_id),
    });
    const done = pass.end === 'done';
    const moved = await tx.execute(sql`
      update plaid_items set transactions_cursor = ${pass.cursor}, transactions_cursor_partial = ${!done}, updated_at = now()
      where id = ${ctx.item.id} and transactions_cursor is not distinct from ${state.stored}
      returning id`);
    if (moved.length === 0) throw new CursorMovedError('the transactions cursor changed while the run was fetching');
    const totals = add(state.totals, pass.counts);
    return done ? totals : { checkpoint: totals };
  };

  const result = await ctx.commit(apply, prepare);
  const pass = fetched as FetchedPass | null;
  if (!pass) throw new Error('the transactions pass did not complete');
  state.totals = 'checkpoint' in result ? result.checkpoint : result;
  state.stored = pass.cursor;
  if (pass.end !== 'done') state.committed = true;
  return pass;
}

/**
 * The run's first page, fetched before any transaction or staging is opened (a rate limit is waited
 * out here, with nothing open); `restart` when Plaid already asked for a pagination restart.
 */
async function firstPage(ctx: ProductSyncContext, state: RunState): Promise<TransactionsSyncResponse | 'restart'> {
  for (;;) {
    let page: TransactionsSyncResponse;
    try {
      page = await fetchPage(ctx, state.cursor);
    } catch (error) {
      if (isPaginationRestart(error) && MAX_PAGINATION_PASSES > 1) return 'restart';
      if (!isRateLimitError(error)) throw error;
      await waitOutRateLimit(ctx, state.idle, error);
      continue;
    }
    state.idle.waits = 0;
    await ctx.pageFetched(1);
    return page;
  }
}

function writeOnePage(ctx: ProductSyncContext, start: string | null, page: TransactionsSyncResponse, fresh: readonly AccountBase[]): Promise<SyncCounts> {
  const cursor = nextCursor(start, page);
  const accounts = withFreshBalances(page.accounts, fresh);
  return ctx.commit(async (tx) => {
    const write = { itemId: ctx.item.id, userId: ctx.item.userId, start: ctx.item.transactionsCursor, cursor, fromScratch: ctx.fromScratch };
    // Sent together (one round trip); if the cursor had moved, the run's transaction rolls both back.
    // When the page write fails, the balances' statement fails only because the transaction is
    // aborted (25P02): the page write's error is the one to report.
    const [pageWrite, balances] = await Promise.allSettled([
      writeSinglePage(tx, { ...page, accounts: accounts.seen }, write),
      upsertAccounts(tx, { itemId: ctx.item.id, userId: ctx.item.userId, product: 'transactions', accounts: accounts.others, insertable: () => false }),
    ]);
    if (pageWrite.status === 'rejected') throw pageWrite.reason;
    if (balances.status === 'rejected') throw balances.reason;
    if (!pageWrite.value) throw new CursorMovedError('the transactions cursor changed while the run was fetching');
    return { pages: 1, added: page.added.length, modified: page.modified.length, removed: page.removed.length };
  });
}

export const transactionsEntry: RegistryEntry = {
  product: 'transactions',
  plaidProduct: Products.Transactions,
  queue: 'sync-transactions',
  // Plaid's own coverage: depository, credit and student-loan accounts.
  accounts: { [AccountType.Depository]: 'all', [AccountType.Credit]: 'all', [AccountType.Loan]: [AccountSubtype.Student] },
  webhooks: ['TRANSACTIONS/SYNC_UPDATES_AVAILABLE'],
  sync: syncTransactions,
  serializeAccount,
};
