/**
 * Reading the change feed (docs/adr/0006-change-feed-ordering.md). A position is (xid, seq): the
 * writing transaction's id and the row's number inside it. A read returns only rows of transactions
 * older than every transaction of this database still running (the horizon, feed-horizon.ts), so a
 * transaction that took its id early and commits late can never land behind a cursor already handed out.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.js';
import { AppError, ValidationError } from '../http/errors.js';
import { loadCurrentRecords, recordKey, recordTypeOf, type FeedRef } from './change-records.js';
import { feedHorizon, horizonQueryOf } from './feed-horizon.js';
import type { Executor } from './item-status.js';

export interface FeedPosition {
  /** xid8 as decimal text (64 bits: beyond a JS number's exact range). */
  xid: string;
  seq: number;
}

/** Before every change: where a consumer with no cursor starts. */
export const FEED_START: FeedPosition = { xid: '0', seq: 0 };

const positionShape = z.tuple([z.literal(1), z.string().regex(/^\d{1,20}$/), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);

/** Opaque to the app: base64url of a versioned tuple, so the scheme can change without breaking it. */
export function encodeFeedCursor(at: FeedPosition): string {
  return Buffer.from(JSON.stringify([1, at.xid, at.seq])).toString('base64url');
}

export function decodeFeedCursor(cursor: string): FeedPosition {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ValidationError('cursor: is not a cursor this API returned');
  }
  const parsed = positionShape.safeParse(raw);
  if (!parsed.success || BigInt(parsed.data[1]) > 0xffff_ffff_ffff_ffffn) throw new ValidationError('cursor: is not a cursor this API returned');
  return { xid: parsed.data[1], seq: parsed.data[2] };
}

/** The cursor is older than what retention kept: changes after it may be gone. */
export class CursorExpiredError extends AppError {
  constructor() {
    super(410, 'cursor_expired', 'the cursor is older than the changes kept; rebuild from a snapshot (GET /api/changes/position, then the read endpoints)');
  }
}

export interface Change {
  kind: string;
  ids: Record<string, string>;
  /** The record as stored now; null when it is no longer stored (always so after a removal that stands). */
  record: object | null;
}

export interface ChangePage {
  changes: Change[];
  next_cursor: string;
  has_more: boolean;
}

interface FeedRow extends Record<string, unknown> {
  position_xid: string;
  seq: string | number;
  kind: string;
  entity_id: string;
  account_id: string | null;
  item_id: string | null;
}

const ID_NAME: Record<string, string> = {
  transaction: 'transaction_id',
  holding: 'security_id',
  security: 'security_id',
  investment_transaction: 'investment_transaction_id',
};

function idsOf(ref: FeedRef): Record<string, string> {
  const ids: Record<string, string> = {};
  if (ref.itemId) ids.item_id = ref.itemId;
  if (ref.accountId) ids.account_id = ref.accountId;
  const own = ID_NAME[recordTypeOf(ref.kind)];
  if (own) ids[own] = ref.entityId;
  return ids;
}

async function expired(tx: Executor, userId: string, after: FeedPosition): Promise<boolean> {
  const rows = await tx.execute(sql`
    select 1 from change_feed_horizon
    where user_id = ${userId} and (xid, seq) > (${after.xid}::xid8, ${after.seq}::bigint)`);
  return rows.length > 0;
}

/**
 * One page of the user's changes after `cursor`. The horizon check, the feed rows and the records
 * are read in one repeatable-read snapshot: pruning cannot slip between the check and the read, and
 * each record is at least as new as the feed rows returned (a newer one is harmless, since the
 * change that made it is still ahead of the cursor).
 */
export async function readChanges(db: Database, input: { userId: string; cursor?: string | undefined; limit: number }): Promise<ChangePage> {
  const after = input.cursor === undefined ? FEED_START : decodeFeedCursor(input.cursor);
  // Before the read's snapshot: every transaction of this database below it has ended by then.
  const horizon = await feedHorizon(horizonQueryOf.drizzle(db));
  return db.transaction(
    async (tx) => {
      if (await expired(tx, input.userId, after)) throw new CursorExpiredError();
      const rows = await tx.execute<FeedRow>(sql`
        select f.xid::text as position_xid, f.seq, f.kind, f.entity_id, f.account_id, f.item_id
        from change_feed f
        where f.user_id = ${input.userId}
          and (f.xid, f.seq) > (${after.xid}::xid8, ${after.seq}::bigint)
          and f.xid < ${horizon}::xid8
        -- The column, not the text alias: xids are ordered as numbers, and the index gives the order.
        order by f.xid, f.seq
        limit ${input.limit + 1}`);
      const page = [...rows].slice(0, input.limit);
      const refs: FeedRef[] = page.map((row) => ({ kind: row.kind, entityId: row.entity_id, accountId: row.account_id, itemId: row.item_id }));
      const records = await loadCurrentRecords(tx, input.userId, refs);
      const last = page.at(-1);
      return {
        changes: refs.map((ref) => ({ kind: ref.kind, ids: idsOf(ref), record: records.get(recordKey(ref)) ?? null })),
        next_cursor: encodeFeedCursor(last ? { xid: last.position_xid, seq: Number(last.seq) } : after),
        has_more: rows.length > input.limit,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/**
 * The position a snapshot read after this call reflects: every transaction of this database below
 * the horizon has committed (or rolled back), so the snapshot holds its changes; anything later is
 * after this position. Reading a change twice is harmless (each carries the current record).
 * `db` must not be a repeatable-read transaction whose snapshot is already taken.
 */
export async function currentFeedPosition(db: Executor): Promise<string> {
  return positionAt(await feedHorizon(horizonQueryOf.drizzle(db)));
}

/** (horizon, 0) sorts before every row of the horizon's transaction (seq starts at 1) and after every older one. */
export function positionAt(horizon: string): string {
  return encodeFeedCursor({ xid: horizon, seq: 0 });
}

/**
 * Deletes changes older than the retention and raises each affected user's horizon to the highest
 * position deleted, in one statement: a cursor below it answers 410 from then on.
 */
export async function pruneChangeFeed(db: Executor, retentionDays: number): Promise<number> {
  const rows = await db.execute<{ pruned: number }>(sql`
    with pruned as (
      delete from change_feed where created_at < now() - make_interval(days => ${retentionDays})
      returning user_id, xid, seq
    ),
    highest as (
      select distinct on (user_id) user_id, xid, seq from pruned order by user_id, xid desc, seq desc
    ),
    raised as (
      insert into change_feed_horizon as h (user_id, xid, seq)
      select user_id, xid, seq from highest
      on conflict (user_id) do update set xid = excluded.xid, seq = excluded.seq, pruned_at = now()
      where (excluded.xid, excluded.seq) > (h.xid, h.seq)
    )
    select count(*)::int as pruned from pruned`);
  return rows[0]?.pruned ?? 0;
}
