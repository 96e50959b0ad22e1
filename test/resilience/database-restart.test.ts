import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Products } from 'plaid';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { startJobQueue } from '../../src/queue/job-queue.js';
import { QueueSyncScheduler } from '../../src/queue/queue-sync-scheduler.js';
import { captureLogs, TEST_ADMIN_PASSWORD, TEST_API_TOKEN, TEST_PLAID_SECRET } from '../support/app.js';
import { acknowledgedButMissing, prng, serviceEnvironment, startAcknowledgingSimulator } from '../support/resilience-processes.js';
import { keyringSecrets, plainSecret, SecretScanner } from '../support/resilience-secrets.js';
import { printFigures, size } from '../support/resilience-sizes.js';
import { compareWithTruth, matchesEverywhere, type TruthReport } from '../support/resilience-truth.js';
import { freePort, spawnService, type ServiceProcess } from '../support/service-process.js';
import { eventually, insertItem } from '../support/webhook-items.js';

const ITEMS = size(5, 20);
const OUTAGE_MS = size(3_000, 10_000);
const SEED = 3030;

describe('PostgreSQL restart under webhook load', () => {
  let pgDir: string;
  let pgPort: number;
  let pg: EmbeddedPostgres;
  let sql: postgres.Sql;
  let simulator: Awaited<ReturnType<typeof startAcknowledgingSimulator>>;
  let setup: Awaited<ReturnType<typeof serviceEnvironment>>;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    pgDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-pg-restart-'));
    pgPort = await freePort();
    pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, database: 'plaid_sync' });
    simulator = await startAcknowledgingSimulator({ seed: SEED, timeScale: 0.005 });
    setup = await serviceEnvironment({ databaseUrl: pg.url, plaidBaseUrl: simulator.url, extra: { SYNC_STALE_AFTER_SECONDS: '4' } });
    service = await spawnService(setup.env);
    sql = postgres(pg.url, { max: 2, onnotice: () => undefined });
  }, 90_000);
  afterAll(async () => {
    await service?.stop();
    await sql?.end({ timeout: 1 });
    await simulator?.close();
    await pg?.stop();
    if (setup) await rm(setup.dataDir, { recursive: true, force: true });
    if (pgDir) await rm(pgDir, { recursive: true, force: true });
  });

  it('loses no acknowledged webhook, reports the outage on /readyz and serves again soon after the database is back', async () => {
    const random = prng(SEED);
    const webhook = `${service!.url}/webhooks/plaid`;
    const items: { id: string; plaidItemId: string; products: string[]; accessToken: string }[] = [];
    for (let index = 0; index < ITEMS; index++) {
      const created = simulator.control.createItem({ products: [Products.Transactions], webhook, transactionCount: 300, accountSet: 'products' });
      const id = await insertItem({ sql, vault: setup.vault }, { plaidItemId: created.itemId, accessToken: created.accessToken });
      items.push({ id, plaidItemId: created.itemId, products: ['transactions'], accessToken: created.accessToken });
    }
    const boss = await startJobQueue({ connectionString: pg.url, logger: captureLogs().logger, cronCheckIntervalSeconds: 30, background: false });
    const scheduler = new QueueSyncScheduler(boss);
    for (const item of items) await scheduler.request({ itemId: item.id, product: 'transactions', trigger: 'initial' });
    await boss.stop({ graceful: false, wait: true });
    await eventually(async () => (matchesEverywhere(await compareWithTruth(sql, simulator.control, items)) ? true : undefined), 60_000, 'initial syncs');

    // Webhook load: one change every 50 ms, each sending SYNC_UPDATES_AVAILABLE.
    const load = { running: true, changes: 0 };
    const loadDone = (async () => {
      while (load.running) {
        simulator.control.advance(items[Math.floor(random() * items.length)]!.plaidItemId, { added: 3, modified: 1, removed: 1 });
        load.changes++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // The probe waits 2 s, as a readiness probe configured per docs/operations.md would; status 0 is no answer.
    const readiness: { sent: number; at: number; status: number; ms: number }[] = [];
    const probe = { running: true };
    const probing = (async () => {
      while (probe.running) {
        const sent = performance.now();
        const status = await fetch(`${service!.url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.status, () => 0);
        readiness.push({ sent, at: performance.now(), status, ms: Math.round(performance.now() - sent) });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await sql.end({ timeout: 1 });
    const ackBeforeOutage = simulator.outcomes.acknowledged;
    await pg.stop();
    const stoppedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const restartingAt = performance.now();
    pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, database: 'plaid_sync' });
    const backAt = performance.now();
    const backAtWallClock = new Date();
    const ackAtRestart = simulator.outcomes.acknowledged;
    const firstAck = eventually(() => Promise.resolve(simulator.outcomes.acknowledged > ackAtRestart ? performance.now() : undefined), 20_000, 'a webhook acknowledged again');
    firstAck.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
    await eventually(() => Promise.resolve(readiness.some((r) => r.at > backAt && r.status === 200) ? true : undefined), 20_000, 'ready again').catch((error: Error) => {
      const probes = readiness.slice(-12).map((r) => `${Math.round(r.sent - backAt)}:${r.status}/${r.ms}ms`);
      const problems = service!.output().split('\n').filter((line) => !/"level":(10|20|30)/.test(line)).slice(-15);
      throw new Error(`${error.message}: service exit code ${service!.child.exitCode}, signal ${service!.child.signalCode}; probes (sent ms after the database, status/duration) ${probes.join(' ')}\n${problems.join('\n')}`);
    });
    const firstReady = readiness.find((r) => r.at > backAt && r.status === 200)!;
    const readyAfterMs = Math.round(firstReady.at - backAt);
    // Once ready, the service's own pool serves the API at once: its connections to the old server are gone.
    const refusedAtReady = simulator.outcomes.refused;
    const apiAfterReady = await fetch(`${service!.url}/api/items`, { headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': randomUUID() } });
    await apiAfterReady.body?.cancel();
    const firstAckAfterDatabaseMs = Math.round((await firstAck.catch((error: Error) => {
      const problems = service!.output().split('\n').filter((line) => /"level":(40|50|60)/.test(line)).slice(-10);
      throw new Error(`${error.message}: ${JSON.stringify({ webhooks: simulator.outcomes, ackAtRestart, changes: load.changes })}\n${problems.join('\n')}`);
    })) - backAt);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    load.running = false;
    await loadDone;
    probe.running = false;
    await probing;
    await simulator.control.idle();

    sql = postgres(pg.url, { max: 2, onnotice: () => undefined });
    const lost = await acknowledgedButMissing(sql, simulator.acknowledged);
    // The service's workers took jobs again after the restart (the data check below needs them too).
    const [runsAfterRestart] = await sql<{ count: number }[]>`select count(*)::int as count from sync_runs where started_at > ${backAtWallClock}`;
    const behind = await compareWithTruth(sql, simulator.control, items);
    // A run that failed during the outage is retried by its job after the queue's backoff (30 s and
    // up); the hourly status check would sync every item sooner or later anyway. That run is
    // requested here, as the check would, so the comparison does not wait for the backoff.
    const afterBoss = await startJobQueue({ connectionString: pg.url, logger: captureLogs().logger, cronCheckIntervalSeconds: 30, background: false });
    for (const item of items) await new QueueSyncScheduler(afterBoss).request({ itemId: item.id, product: 'transactions', trigger: 'schedule' });
    await afterBoss.stop({ graceful: false, wait: true });
    let report: TruthReport | undefined;
    await eventually(async () => {
      report = await compareWithTruth(sql, simulator.control, items);
      return matchesEverywhere(report) ? true : undefined;
    }, 60_000, 'database equal to the simulator truth').catch(async (error: Error) => {
      const jobs = await sql`select name, state, count(*)::int from pgboss.job where name like 'sync-%' group by 1, 2`;
      const runs = await sql`select status, error_code, count(*)::int from sync_runs group by 1, 2`;
      const events = await sql`select status, count(*)::int from webhook_events group by 1`;
      const problems = service!.output().split('\n').filter((line) => /"level":(40|50|60)/.test(line)).slice(-15);
      throw new Error(`${error.message}: ${JSON.stringify({ report, jobs, runs, events, webhooks: simulator.outcomes })}\n${problems.join('\n')}`);
    });
    // Probes asked once the server had stopped and answered before it was started again: while it
    // shuts down (and while it starts) a probe may still rightly read 200.
    const during = readiness.filter((r) => r.sent > stoppedAt && r.at < restartingAt);

    const scanner = new SecretScanner();
    scanner.add(plainSecret('Plaid secret', TEST_PLAID_SECRET), plainSecret('admin password', TEST_ADMIN_PASSWORD), ...keyringSecrets(setup.keyring));
    for (const item of items) scanner.add(plainSecret(`access token of ${item.plaidItemId}`, item.accessToken));
    for (const line of service!.output().split('\n')) if (line !== '') scanner.scan('log line', line);
    scanner.scan('GET /metrics', await (await fetch(`${service!.url}/metrics`)).text());

    printFigures('database-restart', {
      items: ITEMS, outageMs: OUTAGE_MS, changes: load.changes, webhooks: simulator.outcomes, acknowledgedBeforeOutage: ackBeforeOutage,
      acknowledgedLost: lost, readyzDuringOutage: during.reduce<Record<string, number>>((counts, r) => ({ ...counts, [r.status]: (counts[r.status] ?? 0) + 1 }), {}),
      slowestReadyzDuringOutageMs: Math.max(...during.map((r) => r.ms)),
      readyAfterDatabaseMs: readyAfterMs, firstAckAfterDatabaseMs, apiAfterReady: apiAfterReady.status,
      webhooksRefusedAfterReady: simulator.outcomes.refused - refusedAtReady, syncRunsAfterRestart: runsAfterRestart!.count, behindBeforeNextRun: behind, truth: report, secrets: scanner.summary(), serviceAlive: service!.child.exitCode === null,
    });
    expect(service!.child.exitCode).toBeNull();
    expect(lost).toBe(0);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((r) => r.status === 503)).toBe(true);
    expect(readyAfterMs).toBeLessThan(10_000);
    expect(apiAfterReady.status).toBe(200);
    expect(runsAfterRestart!.count).toBeGreaterThan(0);
    expect(scanner.leaks).toEqual([]);
  }, size(180_000, 300_000));
});
