import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type PgBoss from 'pg-boss';
import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobQueue } from '../../src/queue/job-queue.js';
import { QueueSyncScheduler } from '../../src/queue/queue-sync-scheduler.js';
import { parseKeyring } from '../../src/vault/keyring.js';
import { TokenVault } from '../../src/vault/token-vault.js';
import { captureLogs, TEST_ADMIN_PASSWORD, TEST_API_TOKEN, TEST_PLAID_CLIENT_ID, TEST_PLAID_SECRET } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';
import { matchesTruth, startDeliveringSimulator, syncQueuesIdle } from '../support/webhook-e2e.js';
import { eventually, insertItem, only } from '../support/webhook-items.js';

interface Tick {
  id: string;
  minute: string;
}

async function ticks(database: TestDatabase): Promise<Tick[]> {
  return database.sql<Tick[]>`
    select id::text, to_char(date_trunc('minute', created_on), 'HH24:MI') as minute from pgboss.job where name = 'status-check-tick'
    union all
    select id::text, to_char(date_trunc('minute', created_on), 'HH24:MI') from pgboss.archive where name = 'status-check-tick'`;
}

describe('three service processes on one database', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startDeliveringSimulator>>;
  let instances: ServiceProcess[] = [];
  let dataDir: string;
  let boss: PgBoss;
  let vault: TokenVault;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startDeliveringSimulator(55);
    dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-multi-'));
    const keyText = `multi:${randomBytes(32).toString('base64')}`;
    vault = new TokenVault(parseKeyring(keyText));
    const env = {
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      PLAID_ENV: 'sandbox',
      PLAID_CLIENT_ID: TEST_PLAID_CLIENT_ID,
      PLAID_SECRET: TEST_PLAID_SECRET,
      PLAID_BASE_URL: simulator.url,
      TOKEN_ENCRYPTION_KEY: keyText,
      API_TOKENS: TEST_API_TOKEN,
      ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      LOG_LEVEL: 'info',
      // One tick a minute (pg-boss's cron resolution), looked for every second by both instances.
      SYNC_CRON: '* * * * *',
      CRON_CHECK_INTERVAL_SECONDS: '1',
      QUEUE_POLL_INTERVAL_SECONDS: '0.5',
      WORKER_CONCURRENCY: '3',
    };
    instances = await Promise.all([spawnService(env), spawnService(env), spawnService(env)]);
    boss = await startJobQueue({ connectionString: database.url, logger: captureLogs().logger, cronCheckIntervalSeconds: 30, background: false });
  }, 120_000);
  afterAll(async () => {
    await boss?.stop({ graceful: false, wait: true });
    const codes = await Promise.all(instances.map((instance) => instance.stop()));
    expect(codes).toEqual([0, 0, 0]);
    await simulator?.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('never overlaps runs of one (item, product), spreads the work and ticks once per period', async () => {
    const scheduler = new QueueSyncScheduler(boss);
    const items = await Promise.all(
      Array.from({ length: 12 }, async (_, index) => {
        const webhook = `${instances[index % instances.length]!.url}/webhooks/plaid`;
        const created = simulator.control.createItem({ products: [Products.Transactions], webhook, transactionCount: 1200 });
        const id = await insertItem({ sql: database.sql, vault }, { plaidItemId: created.itemId, accessToken: created.accessToken });
        return { ...created, id };
      }),
    );

    // Rounds of new data: a webhook (to one instance) plus extra requests while runs are going,
    // so follow-up jobs are taken by whichever instance is free while the first run still holds the key.
    for (let round = 0; round < 4; round++) {
      for (const item of items) {
        if (round > 0) simulator.control.advance(item.itemId, { added: 40, modified: 5, removed: 3, posted: 2 });
        await scheduler.request({ itemId: item.id, product: 'transactions', trigger: 'api' });
      }
      await eventually(async () => {
        const { running } = only(await database.sql<{ running: number }[]>`select count(*)::int as running from sync_runs where status = 'running'`);
        return running > 0 ? true : undefined;
      }, 20_000, 'a run in progress');
      for (const item of items) await scheduler.request({ itemId: item.id, product: 'transactions', trigger: 'api' });
      await simulator.control.idle();
      for (const item of items) await eventually(() => matchesTruth(database.sql, simulator.control, item.id, item.itemId), 60_000, 'synced to truth');
      await eventually(() => syncQueuesIdle(database.sql), 30_000, 'idle queues');
    }

    const overlaps = await database.sql`
      select a.id, b.id as other from sync_runs a
      join sync_runs b on a.item_id = b.item_id and a.product = b.product and a.id < b.id
      where a.started_at < coalesce(b.finished_at, now()) and b.started_at < coalesce(a.finished_at, now())`;
    expect(overlaps).toEqual([]);
    const owners = await database.sql<{ owner: string; runs: number }[]>`
      select split_part(owner, ':', 2) as owner, count(*)::int as runs from sync_runs group by 1 order by 1`;
    process.stdout.write(`sync runs per process: ${owners.map((row) => `${row.owner}=${row.runs}`).join(', ')}\n`);
    expect(owners.map((row) => Number(row.owner)).sort()).toEqual(instances.map((instance) => instance.child.pid).sort());

    // The first tick goes out at start-up; wait for the next minute's as well.
    const seen = await eventually(async () => {
      const all = await ticks(database);
      return new Set(all.map((tick) => tick.minute)).size >= 2 ? all : undefined;
    }, 75_000, 'two scheduler ticks');
    const perMinute = new Map<string, number>();
    for (const tick of seen) perMinute.set(tick.minute, (perMinute.get(tick.minute) ?? 0) + 1);
    expect([...perMinute.values()].every((count) => count === 1)).toBe(true);
    await eventually(() => {
      const logged = instances.flatMap((instance) => instance.logLines('status_tick'));
      return Promise.resolve(logged.length >= seen.length ? logged : undefined);
    }, 20_000, 'tick handled');
    const handled = instances.flatMap((instance) => instance.logLines('status_tick')).map((line) => line.jobId);
    expect(new Set(handled).size).toBe(handled.length);
  }, 180_000);
});
