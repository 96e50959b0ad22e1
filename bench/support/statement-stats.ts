import type { Sql } from '../../src/db/client.js';

/** One statement's share of a phase, from pg_stat_statements (text normalized: constants are `$n`). */
export interface StatementShare {
  statement: string;
  calls: number;
  /** Execution plus planning time, in the phase. */
  'total ms': number;
  'ms per call': number;
  /** Total ms divided by the phase's unit (a webhook, a sync). */
  'ms per unit': number;
  'plan ms per call': number;
  rows: number;
}

/** What a phase reports: the time per unit and the top statements, or why there are none. */
export type PhaseStatements =
  | { unit: string; units: number; 'statement ms per unit': number; statements: StatementShare[] }
  | { unit: string; units: number; 'not available': string };

interface Counters {
  query: string;
  calls: number;
  exec: number;
  plan: number;
  rows: number;
}

const SHOWN_CHARACTERS = 160;
const TOP = 8;

/**
 * Per-statement time of the benchmark's database from `pg_stat_statements`, when the server loads it
 * (`shared_preload_libraries`, as the benchmark's own embedded server does). Phases are measured by
 * difference between two snapshots, so nothing is reset and other databases on the server are left
 * alone. Where the server lacks the module, every phase reports "not available" and why.
 */
export async function statementStats(sql: Sql): Promise<{ start(): Promise<{ stop(unit: string, units: number): Promise<PhaseStatements> }> }> {
  let missing: string | undefined;
  try {
    await sql`create extension if not exists pg_stat_statements`;
    await sql`select 1 from pg_stat_statements limit 1`;
  } catch (error) {
    missing = `not available: ${(error as Error).message}`;
  }

  const snapshot = async (): Promise<Map<string, Counters>> => {
    const rows = await sql<({ key: string } & Counters)[]>`
      select queryid::text || ':' || toplevel::text as key, query, calls::float8 as calls,
        total_exec_time as exec, total_plan_time as plan, rows::float8 as rows
      from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database())`;
    return new Map(rows.map((row) => [row.key, row]));
  };

  return {
    async start() {
      const before = missing ? new Map<string, Counters>() : await snapshot();
      return {
        async stop(unit: string, units: number): Promise<PhaseStatements> {
          if (missing) return { unit, units, 'not available': missing };
          const after = await snapshot();
          const per = (value: number) => value / (units || 1);
          const shares = [...after.entries()]
            .map(([key, now]) => {
              const was = before.get(key);
              return {
                query: now.query,
                calls: now.calls - (was?.calls ?? 0),
                exec: now.exec - (was?.exec ?? 0),
                plan: now.plan - (was?.plan ?? 0),
                rows: now.rows - (was?.rows ?? 0),
              };
            })
            // The snapshots' own statement is not the benchmark's.
            .filter((share) => share.calls > 0 && !share.query.includes('pg_stat_statements'))
            .sort((a, b) => b.exec + b.plan - (a.exec + a.plan));
          const total = shares.reduce((sum, share) => sum + share.exec + share.plan, 0);
          return {
            unit,
            units,
            'statement ms per unit': per(total),
            statements: shares.slice(0, TOP).map((share) => ({
              statement: share.query.replace(/\s+/g, ' ').trim().slice(0, SHOWN_CHARACTERS),
              calls: share.calls,
              'total ms': share.exec + share.plan,
              'ms per call': (share.exec + share.plan) / share.calls,
              'ms per unit': per(share.exec + share.plan),
              'plan ms per call': share.plan / share.calls,
              rows: share.rows,
            })),
          };
        },
      };
    },
  };
}

/** Prints each phase's statements under the benchmark's table. */
export function printStatements(phases: Record<string, PhaseStatements>): void {
  for (const [phase, figures] of Object.entries(phases)) {
    if ('not available' in figures) {
      console.log(`\n${phase}: PostgreSQL per-statement time ${figures['not available']}`);
      continue;
    }
    console.log(`\n${phase}: PostgreSQL statements ${figures['statement ms per unit'].toFixed(3)} ms per ${figures.unit} (${figures.units} ${figures.unit}s), top by total time`);
    console.table(figures.statements.map((share) => ({
      ...share,
      'total ms': Number(share['total ms'].toFixed(1)),
      'ms per call': Number(share['ms per call'].toFixed(3)),
      'ms per unit': Number(share['ms per unit'].toFixed(3)),
      'plan ms per call': Number(share['plan ms per call'].toFixed(3)),
    })));
  }
}
