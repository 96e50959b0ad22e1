import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, migrationJournal, pendingMigrationCount, runMigrations } from '../../src/db/migrations.js';
import { createEmptyDatabase } from '../support/database.js';

/** A migrations folder holding the shipped migrations before the one tagged `tag`, to stop the database there. */
async function folderBefore(tag: string): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'plaid-sync-migrations-'));
  await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journal = migrationJournal();
  const index = journal.entries.findIndex((entry) => entry.tag.endsWith(tag));
  expect(index).toBeGreaterThan(0);
  await writeFile(path.join(folder, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, index) }));
  return folder;
}

/** An empty database, a client on it, and a migrations folder that stops it before the migration tagged `tag`. */
async function databaseStoppedBefore(tag: string) {
  const database = await createEmptyDatabase();
  const sql = postgres(database.url, { max: 1, onnotice: () => undefined });
  const folder = await folderBefore(tag);
  const close = async () => {
    await sql.end();
    await database.drop();
    await rm(folder, { recursive: true, force: true });
  };
  return { database, sql, folder, close };
}

type StoppedDatabase = Awaited<ReturnType<typeof databaseStoppedBefore>>;

describe('enforce_plaid_account_product migration', () => {
  let database: StoppedDatabase['database'];
  let sql: postgres.Sql;
  // Only the legacy baseline applied: the database as the legacy service left it.
  let legacyFolder: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ database, sql, folder: legacyFolder, close } = await databaseStoppedBefore('enforce_plaid_account_product'));
  });
  afterAll(() => close());

  const user = '00000000-0000-4000-8000-000000000001';

  async function insertItem(plaidItemId: string, product: string | null, institution: string): Promise<string> {
    const [row] = await sql<{ id: string }[]>`
      insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, product)
      values (${user}, ${plaidItemId}, ${institution}, 'x', 'k', ${product}) returning id`;
    return row!.id;
  }

  async function insertAccount(itemId: string, plaidAccountId: string, product: string | null): Promise<void> {
    await sql`
      insert into plaid_accounts (item_id, user_id, plaid_account_id, product, name, type)
      values (${itemId}, ${user}, ${plaidAccountId}, ${product}, 'Checking', 'depository')`;
  }

  it('backfills legacy accounts, then enforces NOT NULL and accounts_product_check', async () => {
    await runMigrations(database.url, legacyFolder);
    expect(await pendingMigrationCount(sql)).toBeGreaterThan(0);

    const investmentsItem = await insertItem('item-inv', 'investments', 'ins_1');
    const liabilitiesItem = await insertItem('item-liab', 'liabilities', 'ins_2');
    const bareItem = await insertItem('item-bare', null, 'ins_3');
    const oddItem = await insertItem('item-odd', 'auth', 'ins_4');
    await insertAccount(investmentsItem, 'acc-inv', null);
    await insertAccount(liabilitiesItem, 'acc-liab', null);
    await insertAccount(bareItem, 'acc-bare', null);
    await insertAccount(oddItem, 'acc-odd', null);
    await insertAccount(bareItem, 'acc-kept', 'liabilities');

    await runMigrations(database.url);
    expect(await pendingMigrationCount(sql)).toBe(0);

    const rows = await sql<{ plaid_account_id: string; product: string }[]>`
      select plaid_account_id, product from plaid_accounts order by plaid_account_id`;
    expect(Object.fromEntries(rows.map((row) => [row.plaid_account_id, row.product]))).toEqual({
      'acc-bare': 'transactions',
      'acc-inv': 'investments',
      'acc-kept': 'liabilities',
      'acc-liab': 'liabilities',
      'acc-odd': 'transactions',
    });
    // Entitlement (0014) agrees with the backfill: each item keeps the products its accounts got.
    const items = await sql<{ plaid_item_id: string; entitled_products: string[] }[]>`select plaid_item_id, entitled_products from plaid_items`;
    expect(Object.fromEntries(items.map((row) => [row.plaid_item_id, row.entitled_products]))).toEqual({
      'item-bare': ['liabilities', 'transactions'],
      'item-inv': ['investments'],
      'item-liab': ['liabilities'],
      'item-odd': ['transactions'],
    });

    await expect(insertAccount(bareItem, 'acc-null', null)).rejects.toMatchObject({
      code: '23502',
      column_name: 'product',
    });
    await expect(insertAccount(bareItem, 'acc-unknown', 'auth')).rejects.toMatchObject({
      code: '23514',
      constraint_name: 'accounts_product_check',
    });
  });

  it('is idempotent: running the migrations again changes nothing', async () => {
    await runMigrations(database.url);
    expect(await pendingMigrationCount(sql)).toBe(0);
  });
});

describe('sync_state_last_succeeded and item_stalest_success migrations (and the functions of 0010)', () => {
  let database: StoppedDatabase['database'];
  let sql: postgres.Sql;
  let before: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ database, sql, folder: before, close } = await databaseStoppedBefore('sync_state_last_succeeded'));
  });
  afterAll(() => close());

  it("fill each (item, product)'s last success from its newest succeeded run, keeping booked follow-ups, and each item's stalest", async () => {
    await runMigrations(database.url, before);
    // 0008 onwards is pending, whatever later migrations have been added since.
    const entries = migrationJournal().entries;
    expect(await pendingMigrationCount(sql)).toBe(entries.length - entries.findIndex((entry) => entry.tag.endsWith('sync_state_last_succeeded')));
    const [item] = await sql<{ id: string }[]>`
      insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, products)
      values ('00000000-0000-4000-8000-000000000002', 'item-history', 'ins_9', 'x', 'k', '{transactions,liabilities,investments}') returning id`;
    const itemId = item!.id;
    const addRun = (product: string, status: string, started: string, finished: string | null) => sql`
      insert into sync_runs (item_id, product, trigger, status, started_at, finished_at)
      values (${itemId}, ${product}, 'webhook', ${status}, ${started}, ${finished})`;
    await addRun('transactions', 'succeeded', '2030-01-01T00:00:00Z', '2030-01-01T00:00:02Z');
    await addRun('transactions', 'succeeded', '2030-01-05T00:00:00Z', '2030-01-05T00:00:03Z');
    await addRun('transactions', 'failed', '2030-01-09T00:00:00Z', '2030-01-09T00:00:01Z');
    await addRun('liabilities', 'succeeded', '2030-02-01T00:00:00Z', '2030-02-01T00:00:04Z');
    await addRun('investments', 'failed', '2030-03-01T00:00:00Z', '2030-03-01T00:00:01Z');
    await sql`insert into sync_state (item_id, product, follow_up_requested, follow_up_trigger) values (${itemId}, 'liabilities', true, 'webhook')`;
    // A legacy item naming its one product in `product`.
    const [legacy] = await sql<{ id: string }[]>`
      insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, product)
      values ('00000000-0000-4000-8000-000000000003', 'item-legacy', 'ins_8', 'x', 'k', 'transactions') returning id`;
    await sql`
      insert into sync_runs (item_id, product, trigger, status, started_at, finished_at)
      values (${legacy!.id}, 'transactions', 'webhook', 'succeeded', '2030-04-01T00:00:00Z', '2030-04-01T00:00:05Z')`;

    await runMigrations(database.url);
    expect(await pendingMigrationCount(sql)).toBe(0);
    // 0014: items linked before entitlement keep every product the service already called for them.
    const entitled = await sql<{ id: string; entitled_products: string[] }[]>`select id, entitled_products from plaid_items where id in ${sql([itemId, legacy!.id])}`;
    expect(Object.fromEntries(entitled.map((row) => [row.id, row.entitled_products]))).toEqual({
      [itemId]: ['investments', 'liabilities', 'transactions'],
      [legacy!.id]: ['transactions'],
    });
    const rows = await sql<{ product: string; last: string | null; follow_up_requested: boolean }[]>`
      select product, to_char(last_succeeded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as last, follow_up_requested from sync_state where item_id = ${itemId} order by product`;
    expect(rows).toEqual([
      { product: 'liabilities', last: '2030-02-01T00:00:04', follow_up_requested: true },
      { product: 'transactions', last: '2030-01-05T00:00:03', follow_up_requested: false },
    ]);
    const stalest = async (id: string) =>
      (await sql<{ at: string | null }[]>`
        select to_char(stalest_success_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') as at from plaid_items where id = ${id}`)[0]!.at;
    // Investments never succeeded: the item counts as never synced.
    expect(await stalest(itemId)).toBeNull();
    expect(await stalest(legacy!.id)).toBe('2030-04-01T00:00:05');

    // Kept by the database from now on: dropping the never-synced product, then a new success.
    await sql`update plaid_items set products = '{transactions,liabilities}', entitled_products = '{liabilities,transactions}' where id = ${itemId}`;
    expect(await stalest(itemId)).toBe('2030-01-05T00:00:03');
    await sql`update sync_state set last_succeeded_at = '2030-03-01T00:00:00Z' where item_id = ${itemId} and product = 'transactions'`;
    expect(await stalest(itemId)).toBe('2030-02-01T00:00:04');
    // A success that leaves the stalest where it was writes no new version of the item's row.
    const version = async () => (await sql<{ xmin: string }[]>`select xmin::text from plaid_items where id = ${itemId}`)[0]!.xmin;
    const unchanged = await version();
    await sql`update sync_state set last_succeeded_at = '2030-03-02T00:00:00Z' where item_id = ${itemId} and product = 'transactions'`;
    expect(await stalest(itemId)).toBe('2030-02-01T00:00:04');
    expect(await version()).toBe(unchanged);
    await sql`update plaid_items set products = '{transactions,liabilities,investments}', entitled_products = '{investments,liabilities,transactions}' where id = ${itemId}`;
    expect(await stalest(itemId)).toBeNull();
  });
});

describe('normalize_item_products migration', () => {
  it('keeps only the synced products, sorted; the feed records the items that changed', async () => {
    const { database, sql, folder, close } = await databaseStoppedBefore('normalize_item_products');
    try {
      await runMigrations(database.url, folder);
      const insert = async (plaidItemId: string, products: string[]) => {
        const [row] = await sql<{ id: string }[]>`
          insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, product, products, entitled_products)
          values ('00000000-0000-4000-8000-000000000004', ${plaidItemId}, ${`ins_${plaidItemId}`}, 'x', 'k', 'transactions', ${products}, '{transactions}') returning id`;
        return row!.id;
      };
      const withAuth = await insert('item-auth', ['auth', 'transactions']);
      const unsorted = await insert('item-unsorted', ['transactions', 'liabilities']);
      const clean = await insert('item-clean', ['transactions']);
      const empty = await insert('item-empty', []);
      await runMigrations(database.url);
      const rows = await sql<{ id: string; products: string[] }[]>`select id, products from plaid_items`;
      expect(Object.fromEntries(rows.map((row) => [row.id, row.products]))).toEqual({
        [withAuth]: ['transactions'], [unsorted]: ['liabilities', 'transactions'], [clean]: ['transactions'], [empty]: [],
      });
      // The app following the feed learns of the two items whose products changed, and only of them.
      const updated = await sql<{ item_id: string }[]>`select item_id from change_feed where kind = 'item.updated' order by item_id`;
      expect(updated.map((row) => row.item_id).sort()).toEqual([withAuth, unsorted].sort());
    } finally {
      await close();
    }
  });
});
