import type PgBoss from 'pg-boss';
import type { Sql } from '../db/client.js';

type PostgresParameter = Parameters<Sql['unsafe']>[1] extends (infer P)[] | undefined ? P : never;

/** A statement of an open transaction, already handed to its connection. */
export type JobStatement = ReturnType<Sql['unsafe']>;

/** pg-boss hands over values the way node-postgres takes them; postgres.js needs objects as JSON text and `null` instead of `undefined`. */
function parametersOf(values: readonly unknown[]): PostgresParameter[] {
  return values.map((value: unknown) => {
    if (value === undefined) return null;
    if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
      return JSON.stringify(value);
    }
    return value;
  }) as PostgresParameter[];
}

/**
 * Lets pg-boss run its statement on a postgres.js connection, typically an open transaction, so a job
 * commits or rolls back together with the rows that asked for it.
 */
export function postgresJsDb(sql: Pick<Sql, 'unsafe'>): PgBoss.Db {
  return {
    async executeSql(text, values = []) {
      // pg-boss sends a handful of fixed statements: preparing them saves a parse and plan per job.
      const rows = await sql.unsafe(text, parametersOf(values), { prepare: true });
      return { rows: [...rows] };
    },
  };
}

interface InsertStatement {
  text: string;
  /** pg-boss's parameters after the jobs (its configured defaults). */
  defaults: readonly unknown[];
}

const insertStatements = new WeakMap<PgBoss, InsertStatement>();

/**
 * pg-boss's own statement for `insert(jobs)` (queue policies, retry and expiry settings applied as
 * there), taken through its public `insert` with a `db` that keeps the statement instead of running
 * it. pg-boss calls `executeSql` before its first `await`, so this is synchronous; if a pg-boss
 * release stops doing so, this throws at the first enqueue rather than skipping jobs.
 */
function insertStatementOf(boss: PgBoss): InsertStatement {
  const known = insertStatements.get(boss);
  if (known) return known;
  let captured: InsertStatement | undefined;
  void boss.insert([], {
    db: {
      executeSql(text, values = []) {
        captured = { text, defaults: values.slice(1) };
        return Promise.resolve({ rows: [] });
      },
    },
  });
  if (!captured) throw new Error('pg-boss did not hand over its insert statement synchronously');
  insertStatements.set(boss, captured);
  return captured;
}

/**
 * Queues `jobs` with one pg-boss `insert` statement on `tx`, handed to the connection before this
 * returns: a COMMIT the caller sends afterwards goes out behind it without waiting for its answer
 * (postgres.js keeps a connection's statements in order). Being a statement of the transaction, its
 * failure aborts the transaction, and PostgreSQL answers that COMMIT with a rollback.
 */
export function insertJobs(tx: Pick<Sql, 'unsafe'>, boss: PgBoss, jobs: readonly PgBoss.JobInsert[]): JobStatement {
  const { text, defaults } = insertStatementOf(boss);
  return tx.unsafe(text, parametersOf([jobs, ...defaults]), { prepare: true }).execute();
}
