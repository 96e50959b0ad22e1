import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type postgres from 'postgres';
import { connectDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { MIGRATIONS_FOLDER, migrationJournal, runMigrations } from '../../src/db/migrations.js';
import { createEmptyDatabase } from './database.js';

const USER_ID = '00000000-0000-4000-8000-000000000001';

/** A database stopped at the legacy baseline (product nullable), as taken over from the older app. */
export interface LegacyDatabase extends DatabaseHandle {
  name: string;
  /** Inserts a legacy item; returns its id. */
  insertItem(plaidItemId: string, product: string | null): Promise<string>;
  insertAccount(itemId: string, plaidAccountId: string, product: string | null): Promise<void>;
  /** plaid_account_id → product, for every account. */
  accountProducts(): Promise<Record<string, string | null>>;
  /** Applies every migration after the baseline. */
  migrate(): Promise<void>;
  drop(): Promise<void>;
}

/** A migrations folder holding only the legacy baseline, to stop a database at the legacy point. */
async function legacyOnlyFolder(): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'plaid-sync-legacy-'));
  await cp(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journal = migrationJournal();
  const legacy = journal.entries.filter((entry) => entry.tag.endsWith('legacy_baseline'));
  if (legacy.length !== 1) throw new Error(`expected one legacy_baseline migration, found ${legacy.length}`);
  await writeFile(path.join(folder, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: legacy }));
  return folder;
}

export async function createLegacyDatabase(): Promise<LegacyDatabase> {
  const empty = await createEmptyDatabase();
  const folder = await legacyOnlyFolder();
  try {
    await runMigrations(empty.url, folder);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  const handle = connectDatabase(empty.url, { max: 2 });
  const sql: postgres.Sql = handle.sql;
  let institution = 0;
  return {
    ...handle,
    name: empty.name,
    async insertItem(plaidItemId, product) {
      institution += 1;
      const [row] = await sql<{ id: string }[]>`
        insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, product)
        values (${USER_ID}, ${plaidItemId}, ${`ins_${institution}`}, 'x', 'k', ${product}) returning id`;
      return row!.id;
    },
    async insertAccount(itemId, plaidAccountId, product) {
      await sql`
        insert into plaid_accounts (item_id, user_id, plaid_account_id, product, name, type)
        values (${itemId}, ${USER_ID}, ${plaidAccountId}, ${product}, 'Checking', 'depository')`;
    },
    async accountProducts() {
      const rows = await sql<{ plaid_account_id: string; product: string | null }[]>`
        select plaid_account_id, product from plaid_accounts order by plaid_account_id`;
      return Object.fromEntries(rows.map((row) => [row.plaid_account_id, row.product]));
    },
    migrate: () => runMigrations(empty.url),
    async drop() {
      await handle.close();
      await empty.drop();
    },
  };
}
