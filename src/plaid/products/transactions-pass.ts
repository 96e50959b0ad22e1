/**
 * One pass of the `/transactions/sync` cursor loop inside a transaction: pages are staged with COPY
 * as they arrive and merged set-based in chunks on the transaction while later pages are fetched,
 * so memory does not grow with history and the database works while Plaid answers.
 *
 * A pass ends at the last page (`done`), or, when the caller allows checkpoints, early: when Plaid's
 * rate limit answers (`rate_limited`; the caller commits and waits with no transaction open), or at
 * a chunk boundary once the transaction has been open for `checkpointAfterMs` (`checkpoint`; a
 * writing transaction held for minutes holds back the app's change feed for every user).
 */
import { sql } from 'drizzle-orm';
import type { AccountBase, TransactionsSyncResponse } from 'plaid';
import { isRateLimited, PlaidCallError } from '../../providers/plaid/plaid-call.js';
import type { Executor } from '../../services/item-status.js';
import type { SyncCounts } from '../../sync/sync-outcome.js';
import { STAGED_KIND, TransactionStager } from '../../sync/transaction-staging.js';
import { upsertAccounts } from './accounts.js';
import type { ProductSyncContext } from './registry-entry.js';
import { TRANSACTION_CONFLICT_UPDATE } from './upsert-clauses.js';

/** Plaid's maximum page size; fewer calls against the per-item rate limit. */
const PAGE_SIZE = 500;
/** Staged rows per merge: large enough for set-based statements, small enough to overlap with fetching. */
export const MERGE_CHUNK_ROWS = 10_000;
/**
 * Rate-limit waits in a row with no page between them before the run gives up. The waits grow
 * (`waitForRateLimit`) from a couple of seconds to the window, so these outlast a whole window.
 */
export const MAX_IDLE_RATE_LIMIT_WAITS = 8;

export type PassEnd = 'done' | 'rate_limited' | 'checkpoint';

export interface FetchedPass {
  /** Where the next call starts: the last page's `next_cursor` (for `rate_limited`, the cursor the refused call asked with). */
  cursor: string | null;
  counts: SyncCounts;
  accounts: AccountBase[];
  end: PassEnd;
  /** For `checkpoint`: the next page, already asked for, which the next pass starts with. */
  carried: Promise<TransactionsSyncResponse> | null;
  /** For `rate_limited`: Plaid's answer. */
  limitedBy: PlaidCallError | null;
}

export interface PassOptions {
  start: string | null;
  /** The pass's first page, already fetched or asked for (and, if fetched, reported). */
  first: Promise<TransactionsSyncResponse> | null;
  firstReported: boolean;
  /** Pages of the run committed before this pass (progress counts the run's pages). */
  pagesBefore: number;
  /** End early at rate limits and long-open transactions; otherwise wait inside the transaction. */
  checkpoints: boolean;
  checkpointAfterMs: number;
  /** Consecutive rate-limit waits without a page, shared across the run's passes. */
  idle: { waits: number };
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

/** Rate-limited answers are raised, not retried for ~30 s: the pass decides how to wait them out. */
export function fetchPage(ctx: ProductSyncContext, cursor: string | null): Promise<TransactionsSyncResponse> {
  return ctx.call('/transactions/sync', (config) =>
    ctx.plaid.transactionsSync({ access_token: ctx.accessToken, cursor: cursor ?? undefined, count: PAGE_SIZE }, config),
  { rateLimits: 'raise' });
}

/** The promise is marked handled: a page left unread when the pass fails must not end the process. */
export function prefetch(ctx: ProductSyncContext, cursor: string | null): Promise<TransactionsSyncResponse> {
  const page = fetchPage(ctx, cursor);
  page.catch(() => undefined);
  return page;
}

export function isRateLimitError(error: unknown): error is PlaidCallError {
  return error instanceof PlaidCallError && isRateLimited(error.plaid);
}

/** Waits out a rate limit, longer each time no page came between; past the bound the error ends the run. */
export async function waitOutRateLimit(ctx: ProductSyncContext, idle: { waits: number }, error: PlaidCallError): Promise<void> {
  if (idle.waits >= MAX_IDLE_RATE_LIMIT_WAITS) throw error;
  await ctx.waitForRateLimit(idle.waits);
  idle.waits++;
}

/** Before data is ready Plaid answers with an empty cursor: the run keeps the one it had. */
export function nextCursor(cursor: string | null, page: TransactionsSyncResponse): string | null {
  if (page.next_cursor) return page.next_cursor;
  if (page.has_more) throw new Error('/transactions/sync reported more pages without a cursor');
  return cursor;
}

export async function fetchPass(tx: Executor, ctx: ProductSyncContext, options: PassOptions): Promise<FetchedPass> {
  const openedAt = performance.now();
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
  let cursor = options.start;
  let end: PassEnd = 'done';
  let limitedBy: PlaidCallError | null = null;
  // The next page is asked for as soon as its cursor is known, so Plaid serves it while this
  // process stages the current one: at most the page being staged and the one arriving are held.
  let next: Promise<TransactionsSyncResponse> | null = options.first ?? prefetch(ctx, cursor);
  let reported = options.firstReported;
  try {
    while (next !== null) {
      let page: TransactionsSyncResponse;
      try {
        page = await next;
      } catch (error) {
        if (!isRateLimitError(error)) throw error;
        next = null;
        if (options.checkpoints) {
          end = 'rate_limited';
          limitedBy = error;
          break;
        }
        // No checkpoint possible (an update from a stored cursor, or a re-pull that deletes what it
        // does not list): the wait holds this transaction open.
        await waitOutRateLimit(ctx, options.idle, error);
        next = prefetch(ctx, cursor);
        continue;
      }
      options.idle.waits = 0;
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
      if (!reported) await ctx.pageFetched(options.pagesBefore + counts.pages);
      reported = false;
      if (page.has_more && stager.nextSeq - merged >= MERGE_CHUNK_ROWS) {
        if (options.checkpoints && performance.now() - openedAt >= options.checkpointAfterMs) {
          end = 'checkpoint';
          break;
        }
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
  return { cursor, counts, accounts: [...accounts.values()], end, carried: end === 'checkpoint' ? next : null, limitedBy };
}
