import { drizzle } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import { openPostgres } from './open-postgres.js';
import { withPreparedStatements } from './prepared-statements.js';
import * as schema from './schema/index.js';

export type Sql = postgres.Sql;
export type ReservedSql = postgres.ReservedSql;
export type TransactionSql = postgres.TransactionSql;

function open(url: string, sql: Sql) {
  return { url, sql, db: drizzle(withPreparedStatements(sql), { schema, casing: 'snake_case' }) };
}

export type Database = ReturnType<typeof open>['db'];
export type DatabaseHandle = ReturnType<typeof open> & { close(): Promise<void> };

export interface DatabaseOptions {
  max?: number;
  applicationName?: string;
  /** How long one connection attempt may take before it fails (default 10 s). */
  connectTimeoutSeconds?: number;
}

/** The longest wait between two connection attempts of a pool while the database is unreachable. */
export const MAX_RECONNECT_DELAY_SECONDS = 1;

/**
 * Seconds to wait before a pool's next connection attempt after `failures` failed ones (counted
 * across the pool, reset by a successful connection): 50 ms doubling up to one second, with jitter so
 * instances do not reconnect in step. postgres.js's own schedule grows to 10–20 s after seven
 * failures, so a database back after a ten-second outage was used again only up to 20 s later: the
 * pool waited out its delay instead of trying.
 */
export function reconnectDelaySeconds(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(0.05 * 2 ** Math.max(0, failures - 1), MAX_RECONNECT_DELAY_SECONDS);
  return ceiling * (0.5 + random() / 2);
}

export function connectDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  const sql = openPostgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    backoff: (failures: number) => reconnectDelaySeconds(failures),
    idle_timeout: 60,
    onnotice: () => undefined,
    connection: { application_name: options.applicationName ?? 'plaid-sync' },
  });
  return { ...open(url, sql), close: () => sql.end({ timeout: 5 }) };
}
