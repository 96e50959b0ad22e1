import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { planNodes, type PlanNode } from '../support/query-plans.js';

/**
 * Plans of the change feed's triggers, read with auto_explain (which logs a trigger's own statements).
 *
 * The insert and delete triggers look up the owner of the rows a statement wrote in
 * plaid_items. plpgsql keeps each statement's plan for the connection's life, made at its first call:
 * joined as a set, a page of 200 rows hashed every item (cheaper in the planner's eyes than 200
 * probes with a few thousand items, and kept while the table grows). The owner must be a probe of
 * plaid_items' primary key whatever the table's size or statistics when the plan was made (migration
 * 0019).
 *
 * The update triggers plan their join at every firing (EXECUTE, migration 0018), and an upsert fires
 * them even when it updated nothing: each first sync of a page planned a join of empty transition
 * tables (0.3–0.45 ms a statement). They must return before planning anything then.
 */
describe('the change feed’s triggers', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());
  beforeEach(async () => {
    // TRUNCATE also forgets the tables' statistics, as in a database that was never analyzed.
    await database.sql`truncate plaid_items, plaid_accounts, plaid_transactions, change_feed cascade`;
  });

  async function fill(items: number): Promise<void> {
    await database.sql`
      insert into plaid_items (user_id, plaid_item_id, access_token_ciphertext, access_token_key_id, product)
      select gen_random_uuid(), 'item-' || gen_random_uuid(), 'x', 'k', 'transactions' from generate_series(1, ${items})`;
  }

  /**
   * On a connection of its own, writes `first` transactions of one item (the trigger's plan is made
   * and kept there), runs `between`, writes 200 more and deletes them, and returns the plans the
   * insert and delete triggers' statements ran with the second time.
   */
  async function keptPlans(first: number, between: () => Promise<void> = async () => {}): Promise<Record<'added' | 'removed', PlanNode[]>> {
    const logged: string[] = [];
    const sql = postgres(database.url, { max: 1, onnotice: (notice) => void logged.push(String(notice.message)) });
    try {
      const [account] = await sql<{ id: string; itemId: string }[]>`
        with item as (
          insert into plaid_items (user_id, plaid_item_id, access_token_ciphertext, access_token_key_id, product)
          values (gen_random_uuid(), 'item-measured', 'x', 'k', 'transactions') returning id, user_id
        )
        insert into plaid_accounts (item_id, user_id, plaid_account_id, product, name, type)
        select id, user_id, 'account-measured', 'transactions', 'Checking', 'depository' from item
        returning id, item_id as "itemId"`;
      const write = (prefix: string, rows: number) => sql`
        insert into plaid_transactions (plaid_transaction_id, account_id, item_id, amount, date, name, pending)
        select ${prefix} || g, ${account!.id}, ${account!.itemId}, 12.5, date '2026-01-01' + g % 60, 'Coffee', false
        from generate_series(1, ${rows}) as g`;
      await write('first-', first);
      await sql`delete from plaid_transactions where plaid_transaction_id like 'first-%'`;
      await between();
      await sql`load 'auto_explain'`;
      await sql`select set_config('auto_explain.log_min_duration', '0', false), set_config('auto_explain.log_nested_statements', 'on', false),
        set_config('auto_explain.log_format', 'json', false), set_config('client_min_messages', 'log', false)`;
      await write('second-', 200);
      await sql`delete from plaid_transactions where plaid_transaction_id like 'second-%'`;
      const plan = (kind: string) => {
        const explained = logged
          .map((message) => message.slice(message.indexOf('{')))
          .map((text) => JSON.parse(text) as { 'Query Text': string; Plan: PlanNode })
          .filter((entry) => entry['Query Text'].includes('INSERT INTO change_feed') && entry['Query Text'].includes(kind));
        expect(explained, `one plan of the ${kind} trigger's statement`).toHaveLength(1);
        return planNodes(explained);
      };
      return { added: plan("'transaction.added'"), removed: plan("'transaction.removed'") };
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  function expectOwnerProbe(nodes: PlanNode[]): void {
    const reads = nodes.filter((node) => node['Relation Name'] === 'plaid_items');
    expect(reads.map((node) => `${node['Node Type']} ${node['Index Name'] ?? ''}`)).toEqual([expect.stringMatching(/^Index (Only )?Scan plaid_items_pkey$/)]);
  }

  it('probes the primary key when planned for a page of 200 rows against a few thousand analyzed items', async () => {
    await fill(3_000);
    await database.sql`analyze plaid_items`;
    const plans = await keptPlans(200);
    expectOwnerProbe(plans.added);
    expectOwnerProbe(plans.removed);
  });

  it('probes the primary key when planned while there were a few items that have grown since', async () => {
    await fill(20);
    await database.sql`analyze plaid_items`;
    const plans = await keptPlans(200, () => fill(3_000));
    expectOwnerProbe(plans.added);
    expectOwnerProbe(plans.removed);
  });

  it('plan nothing for an upsert that updated no row, and record the row an upsert modified', async () => {
    await fill(20);
    const logged: string[] = [];
    const sql = postgres(database.url, { max: 1, onnotice: (notice) => void logged.push(String(notice.message)) });
    try {
      const [account] = await sql<{ id: string; itemId: string }[]>`
        insert into plaid_accounts (item_id, user_id, plaid_account_id, product, name, type)
        select id, user_id, 'account-upserted', 'transactions', 'Checking', 'depository' from plaid_items limit 1
        returning id, item_id as "itemId"`;
      const upsert = (name: string) => sql`
        insert into plaid_transactions as t (plaid_transaction_id, account_id, item_id, amount, date, name, pending)
        select 'upserted-' || g, ${account!.id}, ${account!.itemId}, 12.5, date '2026-01-01', ${name}, false
        from generate_series(1, 200) as g
        on conflict (plaid_transaction_id) do update set name = excluded.name where t.item_id = excluded.item_id`;
      await sql`load 'auto_explain'`;
      await sql`select set_config('auto_explain.log_min_duration', '0', false), set_config('auto_explain.log_nested_statements', 'on', false),
        set_config('client_min_messages', 'log', false)`;
      const feedStatements = (kind: string) => logged.filter((message) => message.includes('INSERT INTO change_feed') && message.includes(kind)).length;
      await upsert('Coffee');
      expect(feedStatements("'transaction.added'"), 'the insert trigger ran').toBe(1);
      expect(feedStatements("'transaction.modified'"), 'the update trigger planned nothing').toBe(0);
      await upsert('Tea');
      expect(feedStatements("'transaction.modified'")).toBe(1);
      const [feed] = await sql<{ modified: number }[]>`
        select count(*)::int as modified from change_feed where item_id = ${account!.itemId} and kind = 'transaction.modified'`;
      expect(feed!.modified).toBe(200);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});
