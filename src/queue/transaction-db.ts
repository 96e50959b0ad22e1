import type PgBoss from 'pg-boss';
import type { Sql } from '../db/client.js';

type PostgresParameter = Parameters<Sql['unsafe']>[1] extends (infer P)[] | undefined ? P : never;

/**
 * Lets pg-boss run its statement on a postgres.js connection, typically an open transaction, so a job
 * commits or rolls back together with the rows that asked for it. pg-boss hands over values the way
 * node-postgres takes them; postgres.js needs objects as JSON text and `null` instead of `undefined`.
 */
export function postgresJsDb(sql: Pick<Sql, 'unsafe'>): PgBoss.Db {
  return {
    async executeSql(text, values = []) {
      const parameters = values.map((value: unknown) => {
        if (value === undefined) return null;
        if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
          return JSON.stringify(value);
        }
        return value;
      }) as PostgresParameter[];
      // pg-boss sends a handful of fixed statements: preparing them saves a parse and plan per job.
      const rows = await sql.unsafe(text, parameters, { prepare: true });
      return { rows: [...rows] };
    },
  };
}
