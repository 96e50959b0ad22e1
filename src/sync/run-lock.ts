/**
 * The `sync_runs` row as a lock: one `running` row per (item, product) is what the partial unique
 * index `sync_runs_one_running_key` allows, whichever process tries. The owner keeps the row's
 * heartbeat fresh; a row whose heartbeat stopped belongs to a dead process and is marked `abandoned`.
 * Every write to a run row checks it is still `running`, so an owner that was declared dead cannot
 * finish (and commit) over its successor.
 */
import { sql } from 'drizzle-orm';
import type { Product } from '../db/schema/products.js';
import type { Executor } from '../services/item-status.js';
import type { SyncCounts } from './sync-outcome.js';
import type { SyncTrigger } from './sync-scheduler.js';

export interface RunKey {
  itemId: string;
  product: Product;
}

export type RunRow = {
  id: string;
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

/**
 * Inserts the `running` row, or returns null when another run holds the key. Taking the lock also
 * clears a pending follow-up request: this run starts after it, so it covers it.
 */
export async function acquireRun(db: Executor, key: RunKey, trigger: SyncTrigger, owner: string): Promise<string | null> {
  const rows = await db.execute<{ id: string }>(sql`
    with run as (
      insert into sync_runs (item_id, product, trigger, owner)
      values (${key.itemId}, ${key.product}, ${trigger}, ${owner})
      on conflict (item_id, product) where status = 'running' do nothing
      returning id
    ),
    cleared as (
      update sync_state set follow_up_requested = false, follow_up_trigger = null, updated_at = now()
      where item_id = ${key.itemId} and product = ${key.product} and follow_up_requested and exists (select 1 from run)
    )
    select id from run`);
  return rows[0]?.id ?? null;
}

/** The running row for a key, with whether its heartbeat is older than `staleAfterMs`. */
export async function runningRun(db: Executor, key: RunKey, staleAfterMs: number): Promise<RunRow | null> {
  const rows = await db.execute<RunRow>(sql`
    select id, status, owner, heartbeat_at < now() - ${staleAfterMs} * interval '1 millisecond' as stale,
      pages, added, modified, removed, error_code, error_message
    from sync_runs where item_id = ${key.itemId} and product = ${key.product} and status = 'running'`);
  return rows[0] ?? null;
}

export async function readRun(db: Executor, runId: string, staleAfterMs: number): Promise<RunRow | null> {
  const rows = await db.execute<RunRow>(sql`
    select id, status, owner, status = 'running' and heartbeat_at < now() - ${staleAfterMs} * interval '1 millisecond' as stale,
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
    set status = 'abandoned', finished_at = now(), error_code = 'ABANDONED', error_message = ${ABANDONED_MESSAGE}
    where status = 'running' and heartbeat_at < now() - ${staleAfterMs} * interval '1 millisecond' ${scope}
    returning item_id, product`);
  return rows.map((row) => ({ itemId: row.item_id, product: row.product }));
}

export interface RunEnd {
  status: 'succeeded' | 'failed' | 'abandoned';
  counts: SyncCounts;
  error?: { code: string; message: string } | undefined;
}

/** Finishes the row if it is still running; false means someone declared this run abandoned. */
export async function finishRun(db: Executor, runId: string, end: RunEnd): Promise<boolean> {
  const rows = await db.execute(sql`
    update sync_runs set
      status = ${end.status}, finished_at = now(), heartbeat_at = now(),
      pages = ${end.counts.pages}, added = ${end.counts.added}, modified = ${end.counts.modified}, removed = ${end.counts.removed},
      error_code = ${end.error?.code ?? null}, error_message = ${end.error?.message ?? null}
    where id = ${runId} and status = 'running'
    returning id`);
  return rows.length > 0;
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

/** Takes (and clears) a follow-up requested by another process; its trigger, or null. */
export async function takeFollowUp(db: Executor, key: RunKey): Promise<SyncTrigger | null> {
  const rows = await db.execute<{ trigger: SyncTrigger | null }>(sql`
    update sync_state s set follow_up_requested = false, follow_up_trigger = null, updated_at = now()
    from (
      select item_id, product, follow_up_trigger from sync_state
      where item_id = ${key.itemId} and product = ${key.product} and follow_up_requested
      for update
    ) old
    where s.item_id = old.item_id and s.product = old.product
    returning old.follow_up_trigger as trigger`);
  const row = rows[0];
  return row ? (row.trigger ?? 'webhook') : null;
}
