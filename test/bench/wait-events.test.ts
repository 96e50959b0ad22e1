import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NONE_ACTIVE, sampleWaitEvents, waitEventLog, waitShares, type WaitSample } from '../../bench/support/wait-events.js';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../support/database.js';

describe('the fixed-rate phase’s wait-event samples', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('samples what the database’s active backends wait on, until stopped', async () => {
    const sampler = await sampleWaitEvents(databaseUrl(db.name), 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await db.sql`select pg_sleep(0.2) as slept`;
    const samples = await sampler.stop();
    // Before the statement, passes that found nothing running are samples too.
    expect(samples[0]).toMatchObject({ pid: 0, wait: NONE_ACTIVE, statement: '' });
    const sleeping = samples.filter((s) => s.wait === 'Timeout:PgSleep');
    expect(sleeping.length).toBeGreaterThan(5);
    expect(sleeping[0]!.statement).toBe('select pg_sleep(0.2) as slept');
    // In the server's clock order, and the sampler never samples itself.
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.at).toBeGreaterThanOrEqual(samples[i - 1]!.at);
    expect(samples.some((s) => s.statement.startsWith('do $sample$'))).toBe(false);
    // Stopped means stopped: its connection is gone.
    const [row] = await db.sql<{ loops: number }[]>`
      select count(*)::int as loops from pg_stat_activity where query like 'do $sample$%' and datname = current_database()`;
    expect(row?.loops).toBe(0);
  });

  it('gives the loop’s own failure at stop, not an empty list', async () => {
    const sampler = await sampleWaitEvents(databaseUrl(`${db.name}_missing`), 2);
    await expect(sampler.stop()).rejects.toThrow(/does not exist/);
  });

  it('refuses a period under a millisecond', async () => {
    await expect(sampleWaitEvents(databaseUrl(db.name), 0)).rejects.toThrow(/at least 1 ms/);
  });

  it('writes one line per sample: UTC time to a tenth of a millisecond, pid, wait, statement', () => {
    const at = Date.UTC(2026, 11, 6, 11, 4, 58, 40) + 0.93;
    expect(waitEventLog([{ at, pid: 28043, wait: 'IO:WalSync', statement: 'commit' }])).toBe('2026-12-06T11:04:58.0409Z 28043 IO:WalSync commit\n');
    expect(waitEventLog([])).toBe('');
  });

  it('counts each wait overall and inside the slow deliveries’ windows', () => {
    const sample = (at: number, wait: string, statement = 'commit'): WaitSample => ({ at, pid: 1, wait, statement });
    // Deliveries due every 10 ms over 1 s; two slow ones whose windows overlap (100–160 ms) and one
    // alone (500–520 ms); a failed one is no window.
    const deliveries: { dueAt: number; ms: number | null }[] = Array.from({ length: 101 }, (_, i) => ({ dueAt: i * 10, ms: 2 }));
    deliveries[10] = { dueAt: 100, ms: 40 };
    deliveries[12] = { dueAt: 120, ms: 40 };
    deliveries[50] = { dueAt: 500, ms: 20 };
    deliveries[70] = { dueAt: 700, ms: null };
    const samples = [
      sample(110, 'IO:WalSync'),
      sample(150, 'IO:WalSync'),
      sample(510, 'LWLock:WALWrite'),
      sample(300, 'IO:WalSync'),
      sample(300, 'CPU', 'select 1'),
      sample(705, 'CPU', 'select 1'),
    ];
    const result = waitShares(samples, deliveries, 10);
    expect(result['slow windows ms']).toBe(80);
    expect(result['phase ms']).toBe(1000);
    expect(result.shares.map((s) => [s.wait, s.statement, s.samples, s['samples in slow windows']])).toEqual([
      ['IO:WalSync', 'commit', 3, 2],
      ['LWLock:WALWrite', 'commit', 1, 1],
      ['CPU', 'select 1', 2, 0],
    ]);
    const walSync = result.shares[0]!;
    expect(walSync['share of samples']).toBe(0.5);
    expect(walSync['in slow windows']).toBe(0.667);
    // Two thirds of its samples in 8 % of the time.
    expect(walSync['over time share']).toBe(8.333);
  });

  it('has nothing slow when no delivery passed the limit', () => {
    const result = waitShares([{ at: 5, pid: 1, wait: 'CPU', statement: 'x' }], [{ dueAt: 0, ms: 1 }, { dueAt: 10, ms: 1 }], 10);
    expect(result['slow windows ms']).toBe(0);
    expect(result.shares[0]).toMatchObject({ samples: 1, 'samples in slow windows': 0, 'over time share': 0 });
  });
});
