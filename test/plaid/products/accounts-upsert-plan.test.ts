import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../../src/db/client.js';
import { upsertAccounts, type PlaidAccount } from '../../../src/plaid/products/accounts.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { planNodes, type PlanNode } from '../../support/query-plans.js';

/**
 * The accounts upsert reads the stored copy of each returned account (to count real changes, and to
 * refresh accounts it may not add). Its plan is generic and kept per connection, so it is made once,
 * at whatever size `plaid_accounts` has then: planned on a small table with the planner's guess of
 * 100 returned accounts, a sequential scan of the whole table into a hash stayed the plan while the
 * table grew (16–28 ms a call in a drain of thousands of syncs). The read must be a probe of the
 * unique index per returned account, whatever the table's size or statistics when it was planned.
 */
function account(id: string): PlaidAccount {
  return {
    account_id: id,
    name: 'Checking',
    official_name: null,
    mask: '0000',
    type: 'depository',
    subtype: 'checking',
    balances: { available: 100.5, current: 110.25, limit: null, iso_currency_code: 'USD', unofficial_currency_code: null },
  };
}

describe('the accounts upsert’s read of stored accounts', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());
  beforeEach(async () => {
    // TRUNCATE also forgets the tables' statistics, as in a database that was never analyzed.
    await database.sql`truncate plaid_items, plaid_accounts cascade`;
  });

  /** `items` items with three accounts each (their own ids, as Plaid's are). */
  async function fill(items: number): Promise<void> {
    await database.sql`
      with items as (
        insert into plaid_items (user_id, plaid_item_id, access_token_ciphertext, access_token_key_id, product)
        select gen_random_uuid(), 'item-' || gen_random_uuid(), 'x', 'k', 'transactions' from generate_series(1, ${items})
        returning id, user_id, plaid_item_id
      )
      insert into plaid_accounts (item_id, user_id, plaid_account_id, product, name, type, subtype, balance_current)
      select i.id, i.user_id, i.plaid_item_id || '-' || n, 'transactions', 'Checking', 'depository', 'checking', 10
      from items i, generate_series(1, 3) as n`;
  }

  /**
   * Upserts an item's accounts on a connection of its own, in a transaction that forces generic plans
   * as the one-page transactions write does (so the plan is made and kept on that first call), runs
   * `between`, then explains the statement that connection has kept, with the plan it kept.
   */
  async function keptPlan(between: () => Promise<void> = async () => {}): Promise<PlanNode[]> {
    const handle = connectDatabase(database.url, { max: 1 });
    try {
      const [item] = await handle.sql<{ id: string; userId: string }[]>`
        insert into plaid_items (user_id, plaid_item_id, access_token_ciphertext, access_token_key_id, product)
        values (gen_random_uuid(), ${`item-${randomUUID()}`}, 'x', 'k', 'transactions') returning id, user_id as "userId"`;
      const accounts = [account(`acc-${randomUUID()}`), account(`acc-${randomUUID()}`)];
      const changes = await handle.db.transaction(async (tx) => {
        await tx.execute(sql`set local plan_cache_mode = force_generic_plan`);
        return upsertAccounts(tx, { itemId: item!.id, userId: item!.userId, product: 'transactions', accounts });
      });
      expect(changes).toEqual({ added: 2, modified: 0 });
      await between();
      const [prepared] = await handle.sql<{ name: string; parameters: number }[]>`
        select name, cardinality(parameter_types) as parameters from pg_prepared_statements
        where statement ilike '%with incoming as%' and statement not ilike '%pg_prepared_statements%'`;
      expect(prepared, 'the upsert is a prepared statement of its connection').toBeDefined();
      const nulls = Array.from({ length: prepared!.parameters }, () => 'null').join(', ');
      // Plain EXPLAIN (nothing runs) of the kept generic plan. Autovacuum may analyze the tables
      // `between` filled before this runs, which invalidates the kept plan: it is then made again
      // here, and with the settings `upsertAccounts` plans it under, as its next call would.
      const [plan] = await handle.sql.begin(async (tx) => {
        await tx`set local plan_cache_mode = force_generic_plan`;
        await tx`set local enable_seqscan = off`;
        return tx.unsafe<{ 'QUERY PLAN': unknown }[]>(`explain (format json) execute "${prepared!.name}"(${nulls})`);
      });
      return planNodes(plan!['QUERY PLAN']);
    } finally {
      await handle.close();
    }
  }

  function expectIndexProbes(nodes: PlanNode[]): void {
    const reads = nodes.filter((node) => node['Relation Name'] === 'plaid_accounts' && node['Node Type'] !== 'ModifyTable');
    expect(reads.map((node) => `${node['Node Type']} ${node['Index Name'] ?? ''} ${(node['Index Cond'] as string | undefined) ?? ''}`.trim())).toEqual([
      expect.stringMatching(/^Index Scan plaid_accounts_plaid_account_id_key \(plaid_account_id = r(_\d+)?\.plaid_account_id\)$/),
    ]);
  }

  it('probes the index when its plan was made on an empty table that has grown since (not analyzed)', async () => {
    expectIndexProbes(await keptPlan(() => fill(2_000)));
  });

  it('probes the index when planned against an analyzed table of a few thousand rows', async () => {
    // Here a hash of the whole table is cheaper in the planner's eyes than 100 probes (its guess for
    // the returned accounts), while an item returns a handful.
    await fill(1_000);
    await database.sql`analyze plaid_items, plaid_accounts`;
    expectIndexProbes(await keptPlan());
  });

  it('probes the index when planned after autovacuum’s first ANALYZE of a new table (a few dozen rows)', async () => {
    await fill(20);
    await database.sql`analyze plaid_items, plaid_accounts`;
    expectIndexProbes(await keptPlan(() => fill(2_000)));
  });

  it('probes the index when planned against a table analyzed while empty', async () => {
    // ANALYZE of an empty table makes the planner believe it is empty: a scan of it costs nothing.
    await database.sql`analyze plaid_items, plaid_accounts`;
    expectIndexProbes(await keptPlan(() => fill(2_000)));
  });
});
