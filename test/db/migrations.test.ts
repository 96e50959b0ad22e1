import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, migrationJournal, pendingMigrationCount, runMigrations } from '../../src/db/migrations.js';
import { createEmptyDatabase } from '../support/database.js';

/** A migrations folder holding only the legacy baseline, to stop the database at the legacy point. */
async function legacyOnlyFolder(): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'plaid-sync-legacy-'));
  await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journal = migrationJournal();
  const legacy = journal.entries.filter((entry) => entry.tag.endsWith('legacy_baseline'));
  expect(legacy).toHaveLength(1);
  await writeFile(path.join(folder, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: legacy }));
  return folder;
}

describe('enforce_plaid_account_product migration', () => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let sql: postgres.Sql;
  let legacyFolder: string;

  beforeAll(async () => {
    database = await createEmptyDatabase();
    sql = postgres(database.url, { max: 1, onnotice: () => undefined });
    legacyFolder = await legacyOnlyFolder();
  });
  afterAll(async () => {
    await sql.end();
    await database.drop();
    await rm(legacyFolder, { recursive: true, force: true });
  });

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
