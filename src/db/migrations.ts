import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { openPostgres } from './open-postgres.js';
import type { Sql } from './client.js';

// src/db/ in development; dist/, where the build copies drizzle/ beside its bundles, in production.
export const MIGRATIONS_FOLDER = ['./drizzle', '../../drizzle']
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((folder) => existsSync(`${folder}/meta/_journal.json`)) ?? fileURLToPath(new URL('../../drizzle', import.meta.url));

// Any fixed number works; it only has to be the same for every instance of the service.
const MIGRATION_LOCK_ID = 7_245_310_011;

interface Journal {
  entries: { idx: number; tag: string }[];
}

export function migrationJournal(folder = MIGRATIONS_FOLDER): Journal {
  return JSON.parse(readFileSync(`${folder}/meta/_journal.json`, 'utf8')) as Journal;
}

/**
 * Applies pending migrations. A session-level advisory lock serialises instances that start at
 * the same moment against one database, so each migration runs exactly once.
 */
export async function runMigrations(url: string, folder = MIGRATIONS_FOLDER): Promise<void> {
  const sql = openPostgres(url, { max: 1, onnotice: () => undefined, connect_timeout: 10 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await migrate(drizzle(sql), { migrationsFolder: folder });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** How many of the shipped migrations the database has not applied yet. */
export async function pendingMigrationCount(sql: Sql, folder = MIGRATIONS_FOLDER): Promise<number> {
  const expected = migrationJournal(folder).entries.length;
  const [row] = await sql<{ applied: number }[]>`
    select count(*)::int as applied from drizzle.__drizzle_migrations`.catch(() => [{ applied: 0 }]);
  return Math.max(0, expected - (row?.applied ?? 0));
}
