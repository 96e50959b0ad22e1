import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { JobPool, type JobHandler } from '../../src/queue/job-pool.js';
import { startJobQueue } from '../../src/queue/job-queue.js';
import { nextItemRefreshMs, refreshItemGauges, refreshQueueGauges, startQueueMetrics } from '../../src/queue/queue-metrics.js';
import { DEAD_LETTER_QUEUE } from '../../src/queue/queue-names.js';
import { QueueSyncScheduler } from '../../src/queue/queue-sync-scheduler.js';
import { captureLogs } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually, insertItem } from '../support/webhook-items.js';
import { buildTestApp } from '../support/app.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('job pool and queue on pg-boss', () => {
  let database: TestDatabase;
  let boss: PgBoss;
  const logger = captureLogs().logger;

  beforeAll(async () => {
    database = await createTestDatabase();
    boss = await startJobQueue({ connectionString: database.url, logger, cronCheckIntervalSeconds: 30, background: false });
  });
  afterAll(async () => {
    await boss.stop({ graceful: false, wait: true });
    await database.drop();
  });

  async function testQueue(options: Partial<PgBoss.Queue> = {}) {
    const name = `test-${randomUUID().slice(0, 8)}`;
    await boss.createQueue(name, { name, retryLimit: 0, ...options });
    return name;
  }

  const state = async (queue: string) =>
    database.sql<{ state: string; count: number }[]>`select state::text, count(*)::int as count from pgboss.job where name = ${queue} group by state order by state`;

  it('runs at most `concurrency` jobs at once across its queues and completes them', async () => {
    const [a, b] = [await testQueue(), await testQueue()];
    let running = 0;
    let peak = 0;
    const release = gate();
    const handler: JobHandler = async () => {
      running++;
      peak = Math.max(peak, running);
      await release.opened;
      running--;
      return { ok: true };
    };
    const pool = new JobPool(boss, { concurrency: 2, pollIntervalMs: 100, logger, queues: [{ name: a, handler }, { name: b, handler }] });
    for (let i = 0; i < 3; i++) {
      await boss.send(a, { i });
      await boss.send(b, { i });
    }
    pool.start();
    await eventually(() => Promise.resolve(pool.activeCount === 2 ? true : undefined), 5_000, 'two running');
    release.open();
    await eventually(async () => ((await state(a)).concat(await state(b)).every((row) => row.state === 'completed') ? true : undefined), 10_000, 'all done');
    expect(peak).toBe(2);
    await pool.stop(1_000);
  });

  it('completes jobs that finish together in one statement, each with its own output', async () => {
    const name = await testQueue();
    const release = gate();
    const handler: JobHandler<{ i: number }> = async (job) => {
      await release.opened;
      return { i: job.data.i };
    };
    const pool = new JobPool(boss, { concurrency: 4, pollIntervalMs: 100, logger, queues: [{ name, handler }] });
    for (let i = 0; i < 4; i++) await boss.send(name, { i });
    pool.start();
    await eventually(() => Promise.resolve(pool.activeCount === 4 ? true : undefined), 5_000, 'four running');
    release.open();
    await eventually(() => Promise.resolve(pool.activeCount === 0 ? true : undefined), 5_000, 'all completed');
    const jobs = await database.sql<{ state: string; i: string; same: boolean }[]>`
      select state::text, data->>'i' as i, (output->>'i') = (data->>'i') as same from pgboss.job where name = ${name} order by i`;
    expect(jobs).toEqual(['0', '1', '2', '3'].map((i) => ({ state: 'completed', i, same: true })));
    await pool.stop(1_000);
  });

  it('finds a job another process enqueued in a queue it saw empty, while its slots keep freeing', async () => {
    const [busy, quiet] = [await testQueue(), await testQueue()];
    let churning = true;
    let quietRan = false;
    // Every busy job queues the next one here: a slot frees and is taken again, over and over.
    const churn: JobHandler = async () => {
      if (churning) {
        await boss.send(busy, {});
        pool.notify(busy);
      }
      return {};
    };
    const pool = new JobPool(boss, {
      concurrency: 1, pollIntervalMs: 100, logger,
      queues: [{ name: busy, handler: churn }, { name: quiet, handler: () => { quietRan = true; return Promise.resolve({}); } }],
    });
    await boss.send(busy, {});
    pool.start();
    await eventually(async () => ((await state(busy)).some((row) => row.state === 'completed') ? true : undefined), 5_000, 'churning');
    // Sent without a local notify, as by another instance: only the poll finds it.
    await boss.send(quiet, {});
    await eventually(() => Promise.resolve(quietRan ? true : undefined), 5_000, 'the quiet queue looked at again');
    churning = false;
    await pool.stop(1_000);
  });

  it('takes no new job while the intake is under a burst, lets a running one finish, and takes jobs again after', async () => {
    const name = await testQueue();
    const release = gate();
    const started: number[] = [];
    const handler: JobHandler<{ i: number }> = async (job) => {
      started.push(job.data.i);
      if (job.data.i === 0) await release.opened;
      return {};
    };
    let yielding = false;
    let looks = 0;
    const lookedWhileYielding = gate();
    const yieldTo = {
      recheckMs: 20,
      shouldYield: () => {
        if (yielding && ++looks === 5) lookedWhileYielding.open();
        return yielding;
      },
    };
    const pool = new JobPool(boss, { concurrency: 4, pollIntervalMs: 100, logger, yieldTo, queues: [{ name, handler }] });
    await boss.send(name, { i: 0 });
    pool.start();
    await eventually(() => Promise.resolve(started.length === 1 ? true : undefined), 5_000, 'the first job running');

    yielding = true;
    for (let i = 1; i <= 3; i++) {
      await boss.send(name, { i });
      pool.notify(name);
    }
    release.open();
    // The pool looked several times, woken by the sends and the finished job, and took nothing.
    await lookedWhileYielding.opened;
    await eventually(async () => ((await state(name)).some((row) => row.state === 'completed') ? true : undefined), 5_000, 'the running job completed');
    expect(started).toEqual([0]);
    expect(await state(name)).toEqual([{ state: 'completed', count: 1 }, { state: 'created', count: 3 }]);

    yielding = false;
    await eventually(async () => ((await state(name)).every((row) => row.state === 'completed') ? true : undefined), 5_000, 'all done');
    expect(started.sort()).toEqual([0, 1, 2, 3]);
    await pool.stop(1_000);
  });

  it('retries a failing job and moves it to the dead-letter queue when retries run out', async () => {
    const name = await testQueue({ retryLimit: 1, retryDelay: 0, deadLetter: DEAD_LETTER_QUEUE });
    let attempts = 0;
    const pool = new JobPool(boss, {
      concurrency: 1, pollIntervalMs: 100, logger,
      queues: [{ name, handler: () => { attempts++; return Promise.reject(new Error('always fails')); } }],
    });
    const marker = randomUUID();
    const id = await boss.send(name, { marker });
    pool.start();
    await eventually(async () => ((await state(name)).some((row) => row.state === 'failed') ? true : undefined), 10_000, 'failed');
    await pool.stop(1_000);
    expect(attempts).toBe(2);
    const dead = await database.sql`select data from pgboss.job where name = ${DEAD_LETTER_QUEUE} and data->>'marker' = ${marker}`;
    expect(dead).toHaveLength(1);
    expect(id).not.toBeNull();
  });

  it('on stop, lets a short job finish and releases one that outlives the timeout back to its queue', async () => {
    const name = await testQueue({ retryLimit: 3, retryDelay: 0 });
    const never = gate();
    let aborted = false;
    const pool = new JobPool(boss, {
      concurrency: 2, pollIntervalMs: 100, logger,
      queues: [{
        name,
        handler: async (job: PgBoss.JobWithMetadata<{ slow: boolean }>, signal) => {
          signal.addEventListener('abort', () => (aborted = true));
          if (job.data.slow) await never.opened;
          return {};
        },
      }],
    });
    await boss.send(name, { slow: true });
    pool.start();
    await eventually(() => Promise.resolve(pool.activeCount === 1 ? true : undefined), 5_000, 'slow job running');
    let hookCalled = false;
    await pool.stop(300, () => {
      hookCalled = true;
      return Promise.resolve();
    });
    expect(aborted).toBe(true);
    expect(hookCalled).toBe(true);
    const [job] = await database.sql`select state::text, output->>'message' as message from pgboss.job where name = ${name}`;
    expect(job).toEqual({ state: 'retry', message: 'released on shutdown' });
    never.open();
  });

  it('keeps one waiting sync job per (item, product); a backfill has its own', async () => {
    const scheduler = new QueueSyncScheduler(boss);
    const itemId = randomUUID();
    for (let i = 0; i < 3; i++) await scheduler.request({ itemId, product: 'transactions', trigger: 'webhook' });
    await scheduler.request({ itemId, product: 'transactions', trigger: 'backfill', fromScratch: true });
    await scheduler.request({ itemId, product: 'liabilities', trigger: 'webhook' });
    const jobs = await database.sql`select name, singleton_key from pgboss.job where data->>'itemId' = ${itemId} order by name, singleton_key`;
    expect(jobs).toEqual([
      { name: 'sync-liabilities', singleton_key: `${itemId}:liabilities` },
      { name: 'sync-transactions', singleton_key: `${itemId}:transactions` },
      { name: 'sync-transactions', singleton_key: `${itemId}:transactions:full` },
    ]);
  });

  it('reports due jobs and items by status as gauges', async () => {
    const { deps } = buildTestApp(database);
    await insertItem(deps, { plaidItemId: `item-${randomUUID()}`, status: 'needs_reauth' });
    // One due now, one due in an hour (spread by the fan-out): only the first is a backlog.
    await boss.send('item-status-check', { trigger: 'schedule' }, { singletonKey: randomUUID(), startAfter: 3600 });
    await boss.send('item-status-check', { trigger: 'schedule' }, { singletonKey: randomUUID() });
    // A recorded webhook whose job is not made yet: the inbox is reported like a queue.
    await database.sql`insert into webhook_dispatch (event_id, item_id, job, received_at) values (${randomUUID()}, ${randomUUID()}, 'item', now() - interval '90 seconds')`;
    const metrics = createMetrics();
    await Promise.all([refreshQueueGauges(database.sql, metrics), refreshItemGauges(database.sql, metrics)]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('sync_queue_depth{queue="item-status-check"} 1');
    expect(text).toMatch(/sync_queue_oldest_job_age_seconds\{queue="item-status-check"\} \d/);
    expect(text).toContain('sync_queue_depth{queue="webhook-inbox"} 1');
    expect(text).toMatch(/sync_queue_oldest_job_age_seconds\{queue="webhook-inbox"\} 9\d/);
    expect(text).toContain('plaid_items{status="needs_reauth"} 1');
    expect(text).toContain('plaid_items{status="disconnected"} 0');
  });

  it('keeps both gauges fresh while running', async () => {
    const { deps } = buildTestApp(database);
    const metrics = createMetrics();
    const gauge = async (status: string) => (await metrics.itemsByStatus.get()).values.find((v) => v.labels.status === status)?.value;
    const before = (await database.sql<{ n: number }[]>`select count(*)::int as n from plaid_items where status = 'disconnected'`)[0]!.n;
    const stop = startQueueMetrics(database.sql, metrics, logger, 50);
    try {
      await eventually(async () => ((await gauge('disconnected')) === before ? true : undefined), 10_000, 'the first item count');
      await eventually(async () => ((await metrics.queueDepth.get()).values.some((v) => v.labels.queue === 'webhook-inbox') ? true : undefined), 10_000, 'the queue gauges');
      await insertItem(deps, { plaidItemId: `item-${randomUUID()}`, status: 'disconnected' });
      await eventually(async () => ((await gauge('disconnected')) === before + 1 ? true : undefined), 10_000, 'the next item count');
    } finally {
      stop();
    }
  });

  it('counts items less often in a large table, for at most a hundredth of a core', () => {
    expect(nextItemRefreshMs(0, 5_000)).toBe(5_000);
    expect(nextItemRefreshMs(100_000, 5_000)).toBe(5_000);
    expect(nextItemRefreshMs(1_000_000, 5_000)).toBe(8_000);
    expect(nextItemRefreshMs(10_000_000, 5_000)).toBe(80_000);
  });
});
