import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type PgBoss from 'pg-boss';
import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobQueue } from '../../src/queue/job-queue.js';
import { QueueSyncScheduler } from '../../src/queue/queue-sync-scheduler.js';
import { captureLogs } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { comparable, differences, followFeed, storedFeed, storedRecords } from '../support/feed-follower.js';
import { prng, serviceEnvironment, startAcknowledgingSimulator } from '../support/resilience-processes.js';
import { printFigures, size } from '../support/resilience-sizes.js';
import { compareWithTruth, matchesEverywhere, type ComparedItem, type TruthReport } from '../support/resilience-truth.js';
import { freePort, spawnService, type ServiceProcess } from '../support/service-process.js';
import { syncQueuesIdle } from '../support/webhook-e2e.js';
import { eventually, insertItem, only } from '../support/webhook-items.js';

const KILLS = size(4, 20);
const ITEMS = size(3, 12);
const SEED = 1717;

describe('SIGKILL during syncs while a follower reads the change feed', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startAcknowledgingSimulator>>;
  let setup: Awaited<ReturnType<typeof serviceEnvironment>>;
  let boss: PgBoss;
  let current: ServiceProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startAcknowledgingSimulator({ seed: SEED, timeScale: 0.005 });
    setup = await serviceEnvironment({
      databaseUrl: database.url,
      plaidBaseUrl: simulator.url,
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

  it(`across ${KILLS} SIGKILLs the follower misses, repeats and reorders nothing, and its copy equals the store`, async () => {
    const random = prng(SEED);
    const userId = randomUUID();
    const webhook = `http://127.0.0.1:${setup.env.PORT}/webhooks/plaid`;
    const items: ComparedItem[] = [];
    for (let index = 0; index < ITEMS; index++) {
      const investments = index % 3 === 2;
      // Large enough that runs stage pages: their transaction holds its id for the whole fetch.
      const created = simulator.control.createItem({ products: [investments ? Products.Investments : Products.Transactions], webhook, transactionCount: investments ? 100 : 1_200, accountSet: 'products' });
      const product = investments ? 'investments' : 'transactions';
      const id = await insertItem({ sql: database.sql, vault: setup.vault }, { plaidItemId: created.itemId, accessToken: created.accessToken, product, userId });
      items.push({ id, plaidItemId: created.itemId, products: [product] });
    }
    // The follower reads from the test process on a connection of its own, across every kill.
    const follower = followFeed(database.db, userId, { limit: 200, idleMs: 50 });
    const scheduler = new QueueSyncScheduler(boss);
    for (const item of items) await scheduler.request({ itemId: item.id, product: item.products[0] as 'transactions', trigger: 'initial' });

    const load = { running: true, changes: 0 };
    const loadDone = (async () => {
      while (load.running) {
        const item = items[Math.floor(random() * items.length)]!;
        if (item.products[0] === 'investments') simulator.control.updateHoldings(item.plaidItemId, { added: 1, updated: 1 });
        else simulator.control.advance(item.plaidItemId, { added: 120, modified: 20, removed: 5, posted: 2 });
        load.changes++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const runningAtKills: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      current = await spawnService(setup.env);
      await eventually(async () => {
        const { running } = only(await database.sql<{ running: number }[]>`select count(*)::int as running from sync_runs where status = 'running'`);
        return running > 0 ? true : undefined;
      }, 10_000, 'a run in progress').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, random() * 500));
      const { running } = only(await database.sql<{ running: number }[]>`select count(*)::int as running from sync_runs where status = 'running'`);
      current.child.kill('SIGKILL');
      await current.exited;
      runningAtKills.push(running);
    }
    current = await spawnService(setup.env);
    load.running = false;
    await loadDone;
    await simulator.control.idle();

    let report: TruthReport | undefined;
    await eventually(async () => {
      const { running } = only(await database.sql<{ running: number }[]>`select count(*)::int as running from sync_runs where status = 'running'`);
      if (running > 0 || (await syncQueuesIdle(database.sql)) !== true) return undefined;
      report = await compareWithTruth(database.sql, simulator.control, items);
      return matchesEverywhere(report) ? true : undefined;
    }, size(300_000, 600_000), 'database equal to the simulator truth');

    const copy = await follower.stop();
    const feed = await storedFeed(database.db, userId);
    // The i-th change received must be the feed's i-th: any miss, repeat or swap shifts the rest.
    const firstDifference = copy.received.findIndex((entry, index) => feed[index] !== entry);
    printFigures('change-feed-crash', {
      kills: KILLS, items: ITEMS, changes: load.changes, runsInFlightAtKills: runningAtKills, feedRows: feed.length,
      received: copy.received.length, polls: follower.polls, firstDifference,
    });
    expect(report && matchesEverywhere(report)).toBe(true);
    expect(feed.length).toBeGreaterThan(ITEMS * 100);
    expect(firstDifference).toBe(-1);
    expect(copy.received.length).toBe(feed.length);
    const diff = differences(comparable(copy.records), comparable(await storedRecords(database.db, userId)));
    expect(diff.records).toBeGreaterThan(ITEMS * 100);
    expect(diff).toMatchObject({ missing: 0, extra: 0, different: 0 });
  }, size(600_000, 1_200_000));
});
