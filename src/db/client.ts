import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.js';

export type Sql = postgres.Sql;

function open(url: string, sql: Sql) {
  return { url, sql, db: drizzle(sql, { schema, casing: 'snake_case' }) };
}

export type Database = ReturnType<typeof open>['db'];
export type DatabaseHandle = ReturnType<typeof open> & { close(): Promise<void> };

export interface DatabaseOptions {
  max?: number;
  applicationName?: string;
}

export function connectDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  const sql = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: 10,
    idle_timeout: 60,
    onnotice: () => undefined,
    connection: { application_name: options.applicationName ?? 'plaid-sync' },
  });
  return { ...open(url, sql), close: () => sql.end({ timeout: 5 }) };
}
