import { describe, expect, it } from 'vitest';
import type { ReservedSql } from 'postgres';
import { seedItem, useSyncEnvironment } from '../support/sync-harness.js';

/**
 * The change feed's update triggers join a statement's old and new rows. A plan kept from a
 * connection's first small update must not serve a large one: a nested loop over two transition
 * tables of 8,000 rows compares 64 million pairs. Measured against the same update with the trigger
 * off, in the same run, so the machine's speed cancels out.
 */
const ROWS = 8_000;

const env = useSyncEnvironment();

/** Rows of the item modified in one statement, in a transaction rolled back: the ms it took. */
async function modify(connection: ReservedSql, itemId: string, rows = ROWS, options: { withoutFeed?: boolean } = {}): Promise<number> {
  await connection`begin`;
  try {
    if (options.withoutFeed) await connection`alter table plaid_transactions disable trigger change_feed_transactions_updated`;
    const started = performance.now();
    await connection`update plaid_transactions set name = name || '.' where plaid_transaction_id in (
      select plaid_transaction_id from plaid_transactions where item_id = ${itemId} order by plaid_transaction_id limit ${rows})`;
    const elapsed = performance.now() - started;
    // The trigger ran (or not): every modified row is in the feed.
    const [feed] = await connection<{ n: number }[]>`select count(*)::int as n from change_feed where item_id = ${itemId} and kind = 'transaction.modified'`;
    expect(feed!.n).toBe(options.withoutFeed ? 0 : rows);
    return elapsed;
  } finally {
    await connection`rollback`;
  }
}

describe('the change feed on a large update', () => {
  it('costs a fraction more than the update alone, after a one-row update on the same connection', async () => {
    const item = await seedItem(env.database.db, env.sim.control, env.harness.vault, env.harness.plaid, { transactionCount: ROWS });
    expect(await env.harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'initial' })).toMatchObject({ status: 'succeeded' });

    // The update alone, priced on a connection of its own: its trigger switched off in a transaction
    // rolled back, whose plan invalidation then stays on that connection.
    const baseline = await env.database.sql.reserve();
    // The measured connection's first update is one row, as a service connection's often is.
    const measured = await env.database.sql.reserve();
    try {
      const withoutFeed = await modify(baseline, item.itemId, ROWS, { withoutFeed: true });
      await modify(measured, item.itemId, 1);
      const withFeed = await modify(measured, item.itemId);
      // Joined by nested loop over the transition tables: ~50 times the update alone here; by hash: a fraction more.
      expect(withFeed, `with the feed ${withFeed.toFixed(0)} ms, without ${withoutFeed.toFixed(0)} ms`).toBeLessThan(withoutFeed * 5 + 300);
    } finally {
      baseline.release();
      measured.release();
    }
  }, 120_000);
});
