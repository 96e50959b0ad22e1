/**
 * `--wait-events FILE` (webhooks): what the benchmark database's active backends were doing during
 * the fixed-rate phase, sampled every few milliseconds by a loop on the server itself (a `DO` block
 * on a connection of its own, each sample sent as a notice), so the load generator's event loop does
 * none of the work. Each sample is one backend's `pg_stat_activity` row: its wait event (or `CPU`
 * when it waits for nothing) and the start of its statement; a pass that finds no statement running
 * is a sample of its own (`none active`), so an idle database shows as such.
 *
 * Put next to the phase's latencies, the samples say what the database was waiting on while the
 * slow deliveries waited: `waitShares` counts each wait and statement in the whole phase and inside
 * the slow deliveries' windows (from when each was due until it was answered).
 */
import { openPostgres } from '../../src/db/open-postgres.js';
import { utcTenths } from './log-time.js';

export interface WaitSample {
  /** When the server took the sample (ms since the epoch). */
  at: number;
  pid: number;
  /**
   * `type:event` from `pg_stat_activity`, or `CPU` when the backend waits for nothing; `none active`
   * (pid 0) for a pass that found no statement running.
   */
  wait: string;
  /** The first characters of the backend's statement, whitespace collapsed. */
  statement: string;
}

export interface WaitShare {
  wait: string;
  statement: string;
  samples: number;
  'share of samples': number;
  'samples in slow windows': number;
  /** Of this wait's samples, the fraction taken while a slow delivery waited. */
  'in slow windows': number;
  /**
   * That fraction over the slow windows' share of the phase's time: about 1 for a wait that goes on
   * whatever the deliveries do, well above 1 for one the slow deliveries met more than the others.
   */
  'over time share': number;
}

const STATEMENT_CHARACTERS = 48;

/** A pass that found no backend active is one sample of its own, with pid 0 and this wait. */
export const NONE_ACTIVE = 'none active';

/** The sampling loop: runs until cancelled; `everyMs` is validated by the caller. */
function samplingBlock(everyMs: number): string {
  return `do $sample$
    declare r record;
    begin
      loop
        perform pg_stat_clear_snapshot();
        for r in
          select (extract(epoch from clock_timestamp()) * 1000)::float8 as at, pid,
            coalesce(wait_event_type || ':' || wait_event, 'CPU') as wait,
            left(btrim(regexp_replace(query, '\\s+', ' ', 'g')), ${STATEMENT_CHARACTERS}) as statement
          from pg_stat_activity
          where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
        loop
          raise notice '%', json_build_object('at', r.at, 'pid', r.pid, 'wait', r.wait, 'statement', r.statement)::text;
        end loop;
        if not found then
          raise notice '%', json_build_object('at', (extract(epoch from clock_timestamp()) * 1000)::float8, 'pid', 0, 'wait', '${NONE_ACTIVE}', 'statement', '')::text;
        end if;
        perform pg_sleep(${everyMs / 1000});
      end loop;
    end $sample$`;
}

/** Starts sampling the database `url` names; `stop()` ends the loop and gives the samples in order. */
export async function sampleWaitEvents(url: string, everyMs = 5): Promise<{ stop(): Promise<WaitSample[]> }> {
  if (!Number.isFinite(everyMs) || everyMs < 1) throw new Error(`wait-event sampling needs a period of at least 1 ms, got ${everyMs}`);
  const samples: WaitSample[] = [];
  let first: () => void = () => undefined;
  const started = new Promise<void>((resolve) => {
    first = resolve;
  });
  const sql = openPostgres(url, {
    max: 1,
    onnotice: (notice) => {
      if (typeof notice.message !== 'string') return;
      samples.push(JSON.parse(notice.message) as WaitSample);
      first();
    },
  });
  const loop = sql.unsafe(samplingBlock(everyMs)).execute();
  // The loop runs until cancelled; any other end (a database it cannot reach, say) is kept for
  // stop() to throw, so that it neither goes unhandled meanwhile nor passes for an idle database.
  let failure: Error | undefined;
  const ended = loop.then(
    () => undefined,
    (error: Error & { code?: string }) => {
      if (error.code !== '57014') failure = error;
    },
  );
  // Its first pass (the block's plan, the view's first read) is over before the phase starts; a
  // loop that cannot start does not hold the benchmark up for it.
  await Promise.race([started, ended, new Promise((resolve) => setTimeout(resolve, 1_000))]);
  return {
    async stop() {
      loop.cancel();
      try {
        await ended;
      } finally {
        await sql.end();
      }
      if (failure !== undefined) throw failure;
      return samples;
    },
  };
}

/** One line per sample: server time (UTC, to the tenth of a millisecond), pid, wait, statement. */
export function waitEventLog(samples: readonly WaitSample[]): string {
  return samples.map((s) => `${utcTenths(s.at)} ${s.pid} ${s.wait} ${s.statement}`).join('\n') + (samples.length > 0 ? '\n' : '');
}

/**
 * Each (wait, statement) pair's samples in the whole phase and within the slow deliveries' windows
 * (a delivery is slow above `slowMs`; its window runs from its due time to its answer), most
 * frequent in the slow windows first. A wait whose `in slow windows` share is well above the
 * windows' share of the phase's time is one the slow deliveries waited on.
 */
export function waitShares(
  samples: readonly WaitSample[],
  deliveries: readonly { dueAt: number; ms: number | null }[],
  slowMs: number,
): { shares: WaitShare[]; 'slow windows ms': number; 'phase ms': number } {
  const windows: [number, number][] = [];
  for (const d of [...deliveries].sort((a, b) => a.dueAt - b.dueAt)) {
    if (d.ms === null || d.ms <= slowMs) continue;
    const end = d.dueAt + d.ms;
    const last = windows.at(-1);
    if (last && d.dueAt <= last[1]) last[1] = Math.max(last[1], end);
    else windows.push([d.dueAt, end]);
  }
  const slow = (at: number) => windows.some(([from, to]) => at >= from && at <= to);
  const counts = new Map<string, { wait: string; statement: string; all: number; slow: number }>();
  for (const s of samples) {
    const key = `${s.wait}\u0000${s.statement}`;
    const entry = counts.get(key) ?? { wait: s.wait, statement: s.statement, all: 0, slow: 0 };
    entry.all += 1;
    if (slow(s.at)) entry.slow += 1;
    counts.set(key, entry);
  }
  const phaseMs =
    deliveries.length > 0
      ? deliveries.reduce((max, d) => Math.max(max, d.dueAt), -Infinity) - deliveries.reduce((min, d) => Math.min(min, d.dueAt), Infinity)
      : 0;
  const slowMsTotal = windows.reduce((sum, [from, to]) => sum + (to - from), 0);
  const timeShare = phaseMs > 0 ? slowMsTotal / phaseMs : 0;
  const round = (value: number) => Number(value.toFixed(3));
  const shares = [...counts.values()]
    .sort((a, b) => b.slow - a.slow || b.all - a.all)
    .map((c) => ({
      wait: c.wait,
      statement: c.statement,
      samples: c.all,
      'share of samples': round(c.all / samples.length),
      'samples in slow windows': c.slow,
      'in slow windows': round(c.slow / c.all),
      'over time share': timeShare > 0 ? round(c.slow / c.all / timeShare) : 0,
    }));
  return { shares, 'slow windows ms': slowMsTotal, 'phase ms': phaseMs };
}
