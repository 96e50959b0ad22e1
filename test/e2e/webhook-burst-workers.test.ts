import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAID_ITEM_LOCK_CLASS } from '../../src/webhooks/orphan-adoption.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { matchesTruth, startDeliveringSimulator, syncedItems, syncQueuesIdle } from '../support/webhook-e2e.js';
import { eventually, only } from '../support/webhook-items.js';
import { startTestService, type RunningTestService } from '../support/webhook-service.js';
import type { CapturedWebhook } from '../support/webhook-simulator.js';

/**
 * During a burst of deliveries the instance's workers take no new job (docs/backend/webhooks.md,
 * "The intake comes first during a burst"); the syncs the burst asked for run once it is over.
 * This shows the service's wiring (recorder, pressure, pool); the pause itself is measured by
 * `npm run bench -- webhooks` and its rules are the unit tests'.
 */
describe('webhook burst: the workers wait for the intake', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startDeliveringSimulator>>;
  let service: RunningTestService;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startDeliveringSimulator(57);
    // A hold of 2 s instead of 200 ms: the burst's first jobs are made and offered to the pool within
    // it even when the machine stalls (the Node 24 pass of CI runs this beside other suites). What
    // this test shows is the wiring; the hold's length is the benchmark's and the unit tests' subject.
    service = await startTestService(database, {
      plaidBaseUrl: simulator.url, config: { workerConcurrency: 4, workerIntakeYieldSeconds: 10 }, intakeHoldMs: 2_000,
    });
  });
  afterAll(async () => {
    await service?.stop();
    await simulator?.close();
    await database?.drop();
  });

  /** A delivery posted with node:http: `written` once its body is handed to the socket, `status` with the answer. */
  function post(delivery: CapturedWebhook) {
    const body = Buffer.from(delivery.body);
    let written!: () => void;
    const request = { written: new Promise<void>((resolve) => (written = resolve)), status: undefined as unknown as Promise<number> };
    request.status = new Promise<number>((resolve, reject) => {
      const outgoing = httpRequest(delivery.url, { method: 'POST', headers: { ...delivery.headers, 'content-length': String(body.length) } }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      outgoing.on('error', reject);
      outgoing.on('finish', written);
      outgoing.end(body);
    });
    return request;
  }

  const pausedSeconds = async () => (await service.deps.metrics.workersPausedForIntake.get()).values[0]?.value ?? 0;
  const backlog = async () => (await service.deps.metrics.webhookIntakeBacklog.get()).values[0]?.value ?? 0;

  it('a trickle does not pause them; a burst does, and every sync it asked for then runs', async () => {
    const items = await syncedItems(service, simulator.control, { count: 30, transactionCount: 10 });

    // A trickle: three deliveries one after another, each synced before the next.
    for (const item of items.slice(0, 3)) {
      simulator.control.advance(item.itemId, { added: 2 });
      await simulator.control.idle();
      await eventually(() => matchesTruth(database.sql, simulator.control, item.id, item.itemId), 20_000, 'trickle sync');
    }
    expect(await pausedSeconds()).toBe(0);

    // A burst: every item's delivery, each sent five times (Plaid retries; the copies are duplicates), at once.
    simulator.deliveries.capture = [];
    for (const item of items) expect(simulator.control.advance(item.itemId, { added: 3, modified: 1 }).webhookFired).toBe(true);
    const captured = simulator.deliveries.capture;
    simulator.deliveries.capture = null;
    const { now: burstStart } = only(await database.sql<{ now: Date }[]>`select clock_timestamp() as now`);
    // Every item's intake lock held (as an exchange holds it): the first two batches wait on it and
    // every delivery after them queues in the recorder, as when deliveries come faster than one write
    // at a time takes them. The deliveries come from this process, which also serves them, so
    // without the lock they could arrive one at a time, which is no burst.
    let locked!: () => void;
    let unlock!: () => void;
    const lockHeld = new Promise<void>((resolve) => (locked = resolve));
    const unlocked = new Promise<void>((resolve) => (unlock = resolve));
    const holding = database.sql.begin(async (tx) => {
      for (const item of items) await tx`select pg_advisory_xact_lock(${PLAID_ITEM_LOCK_CLASS}::int, hashtext(${item.itemId}))`;
      locked();
      await unlocked;
    });
    await lockHeld;
    const sent = captured.flatMap((delivery) => Array.from({ length: 5 }, () => post(delivery)));
    await Promise.all(sent.map((request) => request.written));
    // Every delivery verified and held by the recorder, not only the first batches: on a loaded
    // machine the service reads and checks them slower than they were sent, and ones it reached only
    // after the lock went would arrive one at a time.
    await eventually(async () => ((await backlog()) === sent.length ? true : undefined), 30_000, 'every delivery held by the recorder');
    await eventually(async () => {
      const { waiting } = only(await database.sql<{ waiting: number }[]>`
        select count(*)::int as waiting from pg_locks where locktype = 'advisory' and not granted`);
      return waiting >= 2 ? true : undefined;
    }, 10_000, 'both batches in flight waiting on the lock');
    unlock();
    await holding;
    const statuses = await Promise.all(sent.map((request) => request.status));
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(await backlog()).toBe(0);

    for (const item of items) await eventually(() => matchesTruth(database.sql, simulator.control, item.id, item.itemId), 30_000, 'burst sync');
    await eventually(() => syncQueuesIdle(database.sql), 10_000, 'idle queues');
    // The pool asked the intake's pressure and was told to wait: the recorder, the pressure and the
    // pool are wired together as in the service. (That it then takes no job is the pool's own test.)
    expect(await pausedSeconds()).toBeGreaterThan(0);
    const { runs } = only(await database.sql<{ runs: number }[]>`
      select count(*)::int as runs from sync_runs where trigger = 'webhook' and status = 'succeeded' and started_at >= ${burstStart}`);
    expect(runs).toBe(items.length);
  }, 120_000);
});
