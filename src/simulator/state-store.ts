import { openPostgres } from '../db/open-postgres.js';

/** Where a simulator keeps its state between runs: one JSON value per key. */
export interface SimulatorStateStore {
  load(): Promise<Map<string, unknown>>;
  /** Writes all changes at once, or none of them. */
  save(upserts: [string, string][], deletes: string[]): Promise<void>;
  close(): Promise<void>;
}

/** The simulator's own schema: it stands in for Plaid, so none of the service's migrations touch it. */
export const SIMULATOR_SCHEMA = 'plaid_simulator';

/**
 * A state store in a PostgreSQL schema the simulator creates for itself. In zero-configuration mode
 * this is the embedded database, so the simulator's state lasts exactly as long as the service's data.
 */
export async function openPostgresStateStore(databaseUrl: string): Promise<SimulatorStateStore> {
  const sql = openPostgres(databaseUrl, {
    max: 2,
    idle_timeout: 60,
    onnotice: () => undefined,
    connection: { application_name: 'plaid-sync-simulator' },
  });
  try {
    await sql.begin(async (tx) => {
      // Serialises concurrent first starts, for which "if not exists" alone can still collide.
      await tx`select pg_advisory_xact_lock(hashtext(${SIMULATOR_SCHEMA}))`;
      await tx`create schema if not exists ${tx(SIMULATOR_SCHEMA)}`;
      await tx`create table if not exists ${tx(SIMULATOR_SCHEMA)}.state (
        key text primary key,
        value jsonb not null,
        saved_at timestamptz not null default now()
      )`;
    });
  } catch (error) {
    await sql.end({ timeout: 5 });
    throw error;
  }
  return {
    load: async () => {
      const rows = await sql<{ key: string; value: string }[]>`select key, value::text as value from ${sql(SIMULATOR_SCHEMA)}.state`;
      return new Map(rows.map((row) => [row.key, JSON.parse(row.value) as unknown]));
    },
    save: async (upserts, deletes) => {
      await sql.begin(async (tx) => {
        if (upserts.length > 0) {
          await tx`insert into ${tx(SIMULATOR_SCHEMA)}.state (key, value)
            select key, value::jsonb from unnest(${tx.array(upserts.map(([key]) => key))}::text[], ${tx.array(upserts.map(([, value]) => value))}::text[]) as t(key, value)
            on conflict (key) do update set value = excluded.value, saved_at = now()`;
        }
        if (deletes.length > 0) await tx`delete from ${tx(SIMULATOR_SCHEMA)}.state where key = any(${tx.array(deletes)}::text[])`;
      });
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
