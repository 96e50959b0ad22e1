import { rm } from 'node:fs/promises';
import type PgBoss from 'pg-boss';
import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobQueue } from '../../src/queue/job-queue.js';
import { QueueSyncScheduler } from '../../src/queue/queue-sync-scheduler.js';
import { captureLogs, TEST_ADMIN_PASSWORD, TEST_PLAID_SECRET } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { acknowledgedButMissing, prng, serviceEnvironment, startAcknowledgingSimulator } from '../support/resilience-processes.js';
import { keyringSecrets, plainSecret, SecretScanner } from '../support/resilience-secrets.js';
import { printFigures, size } from '../support/resilience-sizes.js';
import { compareWithTruth, matchesEverywhere, type ComparedItem, type TruthReport } from '../support/resilience-truth.js';
import { freePort, spawnService, type ServiceProcess } from '../support/service-process.js';
import { syncQueuesIdle } from '../support/webhook-e2e.js';
import { eventually, insertItem, only } from '../support/webhook-items.js';

const KILLS = size(5, 25);
const ITEMS = size(6, 20);
const SEED = 2525;

describe('SIGKILL while items sync and webhooks flow', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startAcknowledgingSimulator>>;
  let setup: Awaited<ReturnType<typeof serviceEnvironment>>;
  let boss: PgBoss;
  let current: ServiceProcess | undefined;
  const outputs: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    // Plaid's webhook retries (30 s, 2.5 min, 10.5 min, ...) at 1/200: a delivery that found the service down comes back within seconds.
    simulator = await startAcknowledgingSimulator({ seed: SEED, timeScale: 0.005 });
    setup = await serviceEnvironment({
      databaseUrl: database.url,
      plaidBaseUrl: simulator.url,
      // A fixed port, so the webhook URL stays valid across restarts; dead runs are taken over after 4 s.
      extra: { PORT: String(await freePort()), SYNC_STALE_AFTER_SECONDS: '4', SHUTDOWN_TIMEOUT_MS: '2000' },
    });
    boss = await startJobQueue({ connectionString: database.url, logger: captureLogs().logger, cronCheckIntervalSeconds: 30, background: false });
  }, 60_000);
  afterAll(async () => {
    await boss?.stop({ graceful: false, wait: true });
    if (current) await current.stop();
    await simulator?.close();
    await database?.drop();
    if (setup) await rm(setup.dataDir, { recursive: true, force: true });
  });

  it(`loses nothing across ${KILLS} SIGKILLs: database equals truth, every acknowledged webhook recorded, no run left running`, async () => {
    const random = prng(SEED);
    const webhook = `http://127.0.0.1:${setup.env.PORT}/webhooks/plaid`;
    const items: (ComparedItem & { accessToken: string })[] = [];
    for (let index = 0; index < ITEMS; index++) {
      const investments = index % 3 === 2;
      const created = simulator.control.createItem({
        products: [investments ? Products.Investments : Products.Transactions], webhook, transactionCount: investments ? 100 : 2_500,
        // The truth compared per product: only the product's accounts, not Sandbox's full set.
        accountSet: 'products',
      });
      const product = investments ? 'investments' : 'transactions';
      const id = await insertItem({ sql: database.sql, vault: setup.vault }, { plaidItemId: created.itemId, accessToken: created.accessToken, product });
      items.push({ id, plaidItemId: created.itemId, products: [product], accessToken: created.accessToken });
    }
    const scheduler = new QueueSyncScheduler(boss);
    for (const item of items) await scheduler.request({ itemId: item.id, product: item.products[0] as 'transactions', trigger: 'initial' });

    // Load: every 100 ms one item changes and Plaid sends its webhook.
    const load = { running: true, changes: 0 };
    const loadDone = (async () => {
      while (load.running) {
        const item = items[Math.floor(random() * items.length)]!;
        if (item.products[0] === 'investments') simulator.control.updateHoldings(item.plaidItemId, { added: 1, updated: 1 });
        else simulator.control.advance(item.plaidItemId, { added: 150, modified: 20, removed: 5, posted: 2 });
        load.changes++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const kills: { afterMs: number; runningRuns: number }[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      current = await spawnService(setup.env);
      const spawnedAt = performance.now();
      // Every other kill lands while a run is in progress (a moment into it); the rest at a random moment.
      if (kill % 2 === 0) {
        await eventually(async () => {
          const { running } = only(await database.sql<{ running: number }[]>`select count(*)::int as running from sync_runs where status = 'running'`);
          return running > 0 ? true : undefined;
        }, 10_000, 'a run in progress').catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, random() * 300));
      } else {
        await new Promise((resolve) => setTimeout(resolve, 300 + random() * 2_700));
      }
      const afterMs = Math.round(performance.now() - spawnedAt);
      const { running } = only(await database.sql<{ running: number }[]>`select count(*)::int as running from sync_runs where status = 'running'`);
      current.child.kill('SIGKILL');
      await current.exited;
      outputs.push(current.output());
      kills.push({ afterMs, runningRuns: running });
    }
    current = await spawnService(setup.env);
    const restartedAt = performance.now();
    load.running = false;
    await loadDone;
    await simulator.control.idle();

    let report: TruthReport | undefined;
    let waiting = {};
    await eventually(async () => {
      const { running } = only(await database.sql<{ running: number }[]>`select count(*)::int as running from sync_runs where status = 'running'`);
      const idle = await syncQueuesIdle(database.sql);
      waiting = { running, queuesIdle: idle === true };
      if (running > 0 || !idle) return undefined;
      report = await compareWithTruth(database.sql, simulator.control, items);
      return matchesEverywhere(report) ? true : undefined;
    }, size(90_000, 240_000), 'database equal to the simulator truth').catch(async (error: Error) => {
      // What each item's state and last runs and webhooks were, so a failure says which item fell behind and why.
      const itemsNow = await database.sql`
        select i.plaid_item_id, i.status, i.transactions_cursor is not null as has_cursor,
          (select json_agg(json_build_object('trigger', r.trigger, 'status', r.status, 'error', r.error_code, 'started', r.started_at) order by r.started_at desc)
             from (select * from sync_runs r where r.item_id = i.id order by r.started_at desc limit 4) r) as last_runs,
          (select json_agg(json_build_object('status', e.status, 'at', e.received_at) order by e.received_at desc)
             from (select * from webhook_events e where e.item_id = i.id order by e.received_at desc limit 4) e) as last_webhooks
        from plaid_items i`;
      const jobs = await database.sql`select name, state, count(*)::int as n from pgboss.job group by 1, 2 order by 1, 2`;
      const problems = outputs.concat(current?.output() ?? "").join('\n').split('\n').filter((line) => /"level":(40|50|60)/.test(line)).slice(-10);
      throw new Error(`${error.message}: ${JSON.stringify({ waiting, report, itemsNow, jobs })}\n${problems.join('\n')}`);
    });
    const convergedSeconds = (performance.now() - restartedAt) / 1000;

    const lost = await acknowledgedButMissing(database.sql, simulator.acknowledged);
    const runs = await database.sql<{ status: string; trigger: string; count: number }[]>`
      select status, trigger, count(*)::int as count from sync_runs group by 1, 2 order by 1, 2`;
    const pending = await database.sql`select id from webhook_events where status = 'received'`;

    outputs.push(current.output());
    const scanner = new SecretScanner();
    scanner.add(plainSecret('Plaid secret', TEST_PLAID_SECRET), plainSecret('admin password', TEST_ADMIN_PASSWORD), ...keyringSecrets(setup.keyring));
    for (const item of items) scanner.add(plainSecret(`access token of ${item.plaidItemId}`, item.accessToken));
    for (const output of outputs) for (const line of output.split('\n')) if (line !== '') scanner.scan('log line', line);
    scanner.scan('GET /metrics', await (await fetch(`${current.url}/metrics`)).text());

    printFigures('crash', {
      kills: KILLS, items: ITEMS, changes: load.changes, runsInFlightAtKills: kills.reduce((sum, k) => sum + k.runningRuns, 0),
      killMomentsMs: kills.map((k) => k.afterMs), webhooks: simulator.outcomes, acknowledgedLost: lost,
      runs: runs.map((row) => `${row.trigger}/${row.status}=${row.count}`), convergedSeconds: Number(convergedSeconds.toFixed(1)),
      truth: report, secrets: scanner.summary(),
    });
    expect(lost).toBe(0);
    expect(pending).toEqual([]);
    expect(matchesEverywhere(report!)).toBe(true);
    expect(scanner.leaks).toEqual([]);
  }, size(240_000, 900_000));
});
