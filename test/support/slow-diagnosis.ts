import type { Sql } from '../../src/db/client.js';

/**
 * If a test runs long, prints what each connection of its database waits for (a hang names its lock
 * or its idle transaction) and what the test was doing. Returns the timer; clear it when done.
 */
export function diagnoseWhenSlow(sql: Sql, afterMs: number, doing: () => string): NodeJS.Timeout {
  const timer = setTimeout(() => {
    void sql<{ pid: number; state: string; wait: string | null; blocked_by: number[]; xid: string | null; since: string; query: string }[]>`
      select pid, state, wait_event_type || ':' || wait_event as wait, pg_blocking_pids(pid) as blocked_by, backend_xid::text as xid,
        round(extract(epoch from now() - state_change))::text || ' s' as since, left(query, 160) as query
      from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`.then(
      (rows) => console.error(`still running after ${afterMs} ms, while: ${doing()}\n${rows.map((r) => JSON.stringify(r)).join('\n')}`),
      (error: Error) => console.error(`still running after ${afterMs} ms, while: ${doing()}; pg_stat_activity failed: ${error.message}`),
    );
  }, afterMs);
  timer.unref();
  return timer;
}
