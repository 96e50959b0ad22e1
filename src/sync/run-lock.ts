/**
 * The `sync_runs` row as a lock: one `running` row per (item, product) is what the partial unique
 * index `sync_runs_one_running_key` allows, whichever process tries. The owner keeps the row's
 * heartbeat fresh; a row whose heartbeat stopped belongs to a dead process and is marked `abandoned`.
 * Every write to a run row checks it is still `running`, so an owner that was declared dead cannot
 * finish (and commit) over its successor.
 */
import { sql } from 'drizzle-orm';
import type { ItemStatus, Product, ProductWaitState } from '../db/schema/products.js';
import type { Executor } from '../services/item-status.js';
import type { SyncCounts } from './sync-outcome.js';
import type { SyncTrigger } from './sync-scheduler.js';

export interface RunKey {
  itemId: string;
  product: Product;
}

export type RunRow = {
  id: string;
  started_at: string | Date;
  status: 'running' | 'succeeded' | 'failed' | 'abandoned';
  owner: string | null;
  stale: boolean;
  pages: number;
  added: number;
  modified: number;
  removed: number;
  error_code: string | null;
  error_message: string | null;
};

/** The item as a run needs it: read in the statement that takes the run's lock. */
export interface RunItem {
  id: string;
  userId: string;
  plaidItemId: string;
  status: ItemStatus;
  transactionsCursor: string | null;
  transactionsCursorPartial: boolean;
  accessTokenCiphertext: string;
  accessTokenKeyId: string;
}

/**
 * Triggers that nobody asked for this time (the hourly check, refresh all, recovery): they skip a
 * product in a wait state. A webhook (Plaid says there is data), update mode and explicit actions
 * (admin, API, backfill) still run it, and a success clears the state.
 */
const UNATTENDED_TRIGGERS: readonly SyncTrigger[] = ['schedule', 'refresh_all', 'recovery'];

/** A `not_ready` product is tried again on schedule after this long, in case its webhook was lost. */
export const NOT_READY_RECHECK_HOURS = 24;

/** Whether a trigger skips a product in a wait state. */
export function skipsWaitingProducts(trigger: SyncTrigger): boolean {
  return UNATTENDED_TRIGGERS.includes(trigger);
}

/** A `sync_state` row `s` whose wait still holds for unattended triggers. */
export const STILL_WAITING = sql`s.state is not null and (s.state <> 'not_ready' or s.state_since > now() - ${NOT_READY_RECHECK_HOURS} * interval '1 hour')`;

export type BeginRunResult =
  | { kind: 'skipped'; reason: 'item_not_found' | 'item_disconnected' | 'product_unsupported' | 'product_not_entitled' | 'product_waiting' }
  | { kind: 'held' }
  | { kind: 'acquired'; runId: string; startedAt: Date; item: RunItem };

/**
 * One statement for the start of a run: reads the item, refuses a missing, disconnected or
 * unsupported one, inserts the `running` row (null when another run holds the key) and clears a
 * pending follow-up request (this run starts after it, so it covers it).
 *
 * The item is read `for key share`: a run of the same key in its commit holds the item row `for
 * update`, so this statement waits for that commit and then reads the cursor it stored (a locking
 * read returns the newest version of the row), just as a read after taking the lock would. The
 * weakest row lock, so status and cursor updates elsewhere are not blocked.
 */
export async function beginRun(db: Executor, key: RunKey, trigger: SyncTrigger, owner: string): Promise<BeginRunResult> {
  const rows = await db.execute<{
    id: string; user_id: string; plaid_item_id: string; status: ItemStatus; transactions_cursor: string | null; transactions_cursor_partial: boolean;
    access_token_ciphertext: string; access_token_key_id: string; unsupported: boolean; entitled: boolean; waiting: boolean; run_id: string | null; started_at: string | Date | null;
  }>(sql`
    with item as (
      select id, user_id, plaid_item_id, status, transactions_cursor, transactions_cursor_partial, access_token_ciphertext, access_token_key_id,
        ${key.product} = any(unsupported_products) as unsupported,
        ${key.product} = any(entitled_products) as entitled,
        ${skipsWaitingProducts(trigger)} and exists (
          select 1 from sync_state s where s.item_id = ${key.itemId} and s.product = ${key.product} and ${STILL_WAITING}) as waiting
      from plaid_items where id = ${key.itemId}
      for key share
    ),
    run as (
      -- clock_timestamp(), not now(): the statement may have waited for the item's previous run to
      -- commit, and that run's finished_at is its own clock time; the start must not predate it.
      insert into sync_runs (item_id, product, trigger, owner, started_at)
      select id, ${key.product}, ${trigger}, ${owner}, clock_timestamp() from item where status <> 'disconnected' and not unsupported and entitled and not waiting
      on conflict (item_id, product) where status = 'running' do nothing
      returning id, started_at
    ),
    cleared as (
      update sync_state set follow_up_requested = false, follow_up_trigger = null, updated_at = now()
      where item_id = ${key.itemId} and product = ${key.product} and follow_up_requested and exists (select 1 from run)
    )
    select item.*, run.id as run_id, run.started_at from item left join run on true`);
  const row = rows[0];
  if (!row) return { kind: 'skipped', reason: 'item_not_found' };
  if (row.status === 'disconnected') return { kind: 'skipped', reason: 'item_disconnected' };
  if (row.unsupported) return { kind: 'skipped', reason: 'product_unsupported' };
  // The last line of defence: whatever asked for it, a run never calls a product the item is not
  // entitled to (Plaid would add and bill it, or refuse it for missing consent).
  if (!row.entitled) return { kind: 'skipped', reason: 'product_not_entitled' };
  if (row.waiting) return { kind: 'skipped', reason: 'product_waiting' };
  if (row.run_id === null) return { kind: 'held' };
  return {
    kind: 'acquired',
    runId: row.run_id,
    startedAt: new Date(row.started_at!),
    item: {
      id: row.id, userId: row.user_id, plaidItemId: row.plaid_item_id, status: row.status, transactionsCursor: row.transactions_cursor,
      transactionsCursorPartial: row.transactions_cursor_partial,
      accessTokenCiphertext: row.access_token_ciphertext, accessTokenKeyId: row.access_token_key_id,
    },
  };
}

/** The running row for a key, with whether its heartbeat is older than `staleAfterMs`. */
export async function runningRun(db: Executor, key: RunKey, staleAfterMs: number): Promise<RunRow | null> {
  const rows = await db.execute<RunRow>(sql`
    select id, started_at, status, owner, heartbeat_at < now() - ${staleAfterMs} * interval '1 millisecond' as stale,
      pages, added, modified, removed, error_code, error_message
    from sync_runs where item_id = ${key.itemId} and product = ${key.product} and status = 'running'`);
  return rows[0] ?? null;
}

export async function readRun(db: Executor, runId: string, staleAfterMs: number): Promise<RunRow | null> {
  const rows = await db.execute<RunRow>(sql`
    select id, started_at, status, owner, status = 'running' and heartbeat_at < now() - ${staleAfterMs} * interval '1 millisecond' as stale,
      pages, added, modified, removed, error_code, error_message
    from sync_runs where id = ${runId}`);
  return rows[0] ?? null;
}

/** Keeps the row alive; false when the row is no longer ours to run (declared abandoned). */
export async function heartbeat(db: Executor, runId: string, pages: number): Promise<boolean> {
  const rows = await db.execute(sql`
    update sync_runs set heartbeat_at = now(), pages = greatest(pages, ${pages})
    where id = ${runId} and status = 'running' returning id`);
  return rows.length > 0;
}

const ABANDONED_MESSAGE = 'the process running this sync stopped sending heartbeats';

/** Marks running rows whose owner stopped heartbeating as `abandoned`; returns the keys freed. */
export async function abandonStaleRuns(db: Executor, staleAfterMs: number, key?: RunKey): Promise<RunKey[]> {
  const scope = key ? sql`and item_id = ${key.itemId} and product = ${key.product}` : sql``;
  const rows = await db.execute<{ item_id: string; product: Product }>(sql`
    update sync_runs
    set status = 'abandoned', finished_at = clock_timestamp(), error_code = 'ABANDONED', error_message = ${ABANDONED_MESSAGE}
    where status = 'running' and heartbeat_at < now() - ${staleAfterMs} * interval '1 millisecond' ${scope}
    returning item_id, product`);
  return rows.map((row) => ({ itemId: row.item_id, product: row.product }));
}

export interface RunEnd {
  status: 'succeeded' | 'failed' | 'abandoned';
  counts: SyncCounts;
  error?: { code: string; message: string } | undefined;
}

/**
 * Finishes the row if it is still running; false means someone declared this run abandoned. Run
 * times are `clock_timestamp()`: a finish runs inside the run's transaction, whose `now()` is when
 * that transaction began (during the fetch), not when the run ended.
 */
export async function finishRun(db: Executor, runId: string, end: RunEnd): Promise<boolean> {
  const rows = await db.execute(sql`
    update sync_runs set
      status = ${end.status}, finished_at = clock_timestamp(), heartbeat_at = now(),
      pages = ${end.counts.pages}, added = ${end.counts.added}, modified = ${end.counts.modified}, removed = ${end.counts.removed},
      error_code = ${end.error?.code ?? null}, error_message = ${end.error?.message ?? null}
    where id = ${runId} and status = 'running'
    returning id`);
  return rows.length > 0;
}

/**
 * Records a checkpoint of a long run (its data and cursor commit in the same transaction); false
 * when the run was declared abandoned, which rolls the checkpoint back.
 */
export async function checkpointRun(db: Executor, runId: string, counts: SyncCounts): Promise<boolean> {
  const rows = await db.execute(sql`
    update sync_runs set heartbeat_at = now(),
      pages = ${counts.pages}, added = ${counts.added}, modified = ${counts.modified}, removed = ${counts.removed}
    where id = ${runId} and status = 'running'
    returning id`);
  return rows.length > 0;
}

/** Shows (until) or clears (null) a run's wait for Plaid's rate limit window. */
export async function markRateLimited(db: Executor, runId: string, waitMs: number | null): Promise<void> {
  const until = waitMs === null ? sql`null` : sql`clock_timestamp() + ${waitMs} * interval '1 millisecond'`;
  await db.execute(sql`update sync_runs set rate_limited_until = ${until} where id = ${runId} and status = 'running'`);
}

/**
 * Finishes a succeeded run, records its finish time as the key's last success (`sync_state`; a
 * trigger carries it into the item's `stalest_success_at`, the admin list's sort key), and reads
 * whether another process booked a follow-up, in one statement inside the run's commit. The booking
 * is not cleared here: the follow-up run clears it when it starts (`beginRun`). Cleared at this commit, it lived on only in this process's memory until the
 * follow-up started, and a process killed in between lost it: the webhook was acknowledged, its job
 * completed as coalesced, and nothing ran. A booking read after this statement's snapshot waits for
 * the commit on the key's running row, and its maker's second try finds the key free.
 */
export async function finishRunSeeingFollowUp(db: Executor, runId: string, key: RunKey, counts: SyncCounts): Promise<{ finished: boolean; followUp: SyncTrigger | null }> {
  const rows = await db.execute<{ finished: boolean; booked: boolean; trigger: SyncTrigger | null }>(sql`
    with finished as (
      update sync_runs set
        status = 'succeeded', finished_at = clock_timestamp(), heartbeat_at = now(),
        pages = ${counts.pages}, added = ${counts.added}, modified = ${counts.modified}, removed = ${counts.removed},
        error_code = null, error_message = null
      where id = ${runId} and status = 'running'
      returning id, finished_at
    ),
    succeeded as (
      insert into sync_state (item_id, product, last_succeeded_at)
      select ${key.itemId}, ${key.product}, finished_at from finished
      on conflict (item_id, product) do update set last_succeeded_at = excluded.last_succeeded_at,
        state = null, state_code = null, state_since = null
    ),
    booked as (
      select follow_up_trigger from sync_state
      where item_id = ${key.itemId} and product = ${key.product} and follow_up_requested and exists (select 1 from finished)
    )
    select exists (select 1 from finished) as finished, exists (select 1 from booked) as booked, (select follow_up_trigger from booked) as trigger`);
  const row = rows[0]!;
  return { finished: row.finished, followUp: row.booked ? (row.trigger ?? 'webhook') : null };
}

/**
 * Puts the product of an item in a wait state (inside the failed run's transaction). A repeated
 * `not_ready` keeps its first time, so the daily re-check counts from when the waiting began.
 */
export async function enterWaitState(db: Executor, key: RunKey, state: ProductWaitState, code: string): Promise<void> {
  await db.execute(sql`
    insert into sync_state (item_id, product, state, state_code, state_since)
    values (${key.itemId}, ${key.product}, ${state}, ${code}, now())
    on conflict (item_id, product) do update set
      state = excluded.state, state_code = excluded.state_code,
      state_since = case when sync_state.state = excluded.state then sync_state.state_since else excluded.state_since end,
      updated_at = now()`);
}

/** Records that a trigger arrived while another process was running the key. */
export async function requestFollowUp(db: Executor, key: RunKey, trigger: SyncTrigger): Promise<void> {
  await db.execute(sql`
    insert into sync_state (item_id, product, follow_up_requested, follow_up_trigger)
    values (${key.itemId}, ${key.product}, true, ${trigger})
    on conflict (item_id, product) do update set
      follow_up_requested = true,
      follow_up_trigger = coalesce(sync_state.follow_up_trigger, excluded.follow_up_trigger),
      updated_at = now()`);
}

/** A follow-up requested by another process (left for the follow-up run to clear); its trigger, or null. */
export async function bookedFollowUp(db: Executor, key: RunKey): Promise<SyncTrigger | null> {
  const rows = await db.execute<{ trigger: SyncTrigger | null }>(sql`
    select follow_up_trigger as trigger from sync_state
    where item_id = ${key.itemId} and product = ${key.product} and follow_up_requested`);
  const row = rows[0];
  return row ? (row.trigger ?? 'webhook') : null;
}

/**
 * Follow-ups booked at least `olderThanMs` ago for keys nobody is running: their run was due from a
 * process that stopped before starting it. Items that cannot run (disconnected, product
 * unsupported) are left out, so a booking they keep is not asked for again at every sweep.
 */
export async function strandedFollowUps(db: Executor, olderThanMs: number): Promise<(RunKey & { trigger: SyncTrigger })[]> {
  const rows = await db.execute<{ item_id: string; product: Product; trigger: SyncTrigger | null }>(sql`
    select s.item_id, s.product, s.follow_up_trigger as trigger
    from sync_state s join plaid_items i on i.id = s.item_id
    where s.follow_up_requested and s.updated_at < now() - ${olderThanMs} * interval '1 millisecond'
      and i.status <> 'disconnected' and not (s.product::text = any(i.unsupported_products::text[]))
      and not exists (select 1 from sync_runs r where r.item_id = s.item_id and r.product = s.product and r.status = 'running')`);
  return rows.map((row) => ({ itemId: row.item_id, product: row.product, trigger: row.trigger ?? 'webhook' }));
}
