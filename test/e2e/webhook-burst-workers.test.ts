import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { matchesTruth, startDeliveringSimulator, syncedItems, syncQueuesIdle } from '../support/webhook-e2e.js';
import { eventually, only } from '../support/webhook-items.js';
import { startTestService, type RunningTestService } from '../support/webhook-service.js';

/**
 * During a burst of deliveries the instance's workers take no new job (docs/backend/webhooks.md,
 * "The intake comes first during a burst"); the syncs the burst asked for run once it is over. Here
 * the deliveries come from this process, which also serves them: only the first ones queue (the
 * rest arrive one at a time, which is no burst), so this shows the service's wiring, not a long pause.
 */
describe('webhook burst: the workers wait for the intake', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startDeliveringSimulator>>;
  let service: RunningTestService;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startDeliveringSimulator(57);
    service = await startTestService(database, { plaidBaseUrl: simulator.url, config: { workerConcurrency: 4, workerIntakeYieldSeconds: 10 } });
  });
  afterAll(async () => {
    await service?.stop();
    await simulator?.close();
    await database?.drop();
  });

  const pausedSeconds = async () => (await service.deps.metrics.workersPausedForIntake.get()).values[0]?.value ?? 0;

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
    const statuses = await Promise.all(
      captured.flatMap((delivery) => Array.from({ length: 5 }, () => delivery)).map(async (delivery) => {
        const response = await fetch(delivery.url, { method: 'POST', headers: delivery.headers, body: delivery.body });
        await response.body?.cancel();
        return response.status;
      }),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);

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
