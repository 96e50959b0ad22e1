/**
 * The change feed's horizon: the transaction id below which every transaction *of this database*
 * has ended (docs/adr/0006-change-feed-ordering.md). A feed row with a smaller id is committed and
 * visible, or rolled back, for good; one at or above it may still be joined by a row that commits late.
 *
 * `pg_snapshot_xmin` would be simpler, but transaction ids and snapshots belong to the server: a
 * transaction left open in another database (a migration, a report, another service) would hold
 * every reader of this feed back for as long as it runs. So the horizon is the oldest id among the
 * transactions of the reader's snapshot that are still running *here*, found in two steps:
 *
 * 1. Statement one takes its snapshot S1 and then lists the ids of this database's running
 *    transactions (`pg_stat_activity.backend_xid`, shown to every role; prepared transactions too).
 * 2. Statement two, later, takes snapshot S2 and returns its running ids (`xip`) and `xmax`.
 *
 * An id in S2's running list that is below S1's `xmax` was assigned before statement one started and
 * was still running when statement two started, so it was running while statement one listed this
 * database's transactions: it is in that list if it is ours. An id at or above S1's `xmax` may be
 * anyone's and counts. Ids of other databases below S1's `xmax` are ignored: they cannot write here.
 * The horizon is the smallest counted id, or S2's `xmax` when none counts: every transaction of this
 * database below it ended before S2, so any snapshot taken after statement two sees all it wrote.
 */
import { sql } from 'drizzle-orm';
import type { Sql } from '../db/client.js';
import type { Executor } from './item-status.js';

/** Runs one parameterless statement in a snapshot of its own (never inside a repeatable-read transaction). */
export type HorizonQuery = (text: string) => Promise<readonly Record<string, unknown>[]>;

export const horizonQueryOf = {
  drizzle:
    (db: Executor): HorizonQuery =>
    async (text) =>
      [...(await db.execute(sql.raw(text)))],
  postgres:
    (client: Sql): HorizonQuery =>
    async (text) =>
      [...(await client.unsafe(text))],
};

const RUNNING_HERE = `
  select pg_snapshot_xmax(pg_current_snapshot())::text as xmax,
    array(
      select backend_xid::text from pg_stat_activity where datname = current_database() and backend_xid is not null
      union all
      select transaction::text from pg_prepared_xacts where database = current_database()
    ) as running`;

const SNAPSHOT = `
  select pg_snapshot_xmax(s)::text as xmax, array(select x::text from pg_snapshot_xip(s) as x) as xip
  from pg_current_snapshot() as s`;

const XID32 = 0xffff_ffffn;

/** Step two's arithmetic, on its own so the cases can be tested without arranging transactions. */
export function horizonOf(before: { xmax: string; running: readonly string[] }, after: { xmax: string; xip: readonly string[] }): string {
  const earlierXmax = BigInt(before.xmax);
  // backend_xid is the 32-bit form of the 64-bit id the snapshot lists.
  const ours = new Set(before.running.map((xid) => BigInt(xid)));
  let horizon = BigInt(after.xmax);
  for (const text of after.xip) {
    const xid = BigInt(text);
    if ((xid >= earlierXmax || ours.has(xid & XID32)) && xid < horizon) horizon = xid;
  }
  return horizon.toString();
}

function textList(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error('the snapshot query answered an unexpected shape');
  return value;
}

/** The horizon now, as xid8 decimal text. Two round trips; must not run inside a repeatable-read transaction. */
export async function feedHorizon(query: HorizonQuery): Promise<string> {
  const [before] = await query(RUNNING_HERE);
  const [after] = await query(SNAPSHOT);
  if (!before || !after) throw new Error('no snapshot');
  return horizonOf(
    { xmax: String(before.xmax), running: textList(before.running) },
    { xmax: String(after.xmax), xip: textList(after.xip) },
  );
}
