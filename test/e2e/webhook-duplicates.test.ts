import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { matchesTruth, startDeliveringSimulator, syncedItems, syncQueuesIdle } from '../support/webhook-e2e.js';
import { eventually, only } from '../support/webhook-items.js';
import { startTestService, type RunningTestService } from '../support/webhook-service.js';

/** Fisher–Yates with a fixed seed, so a failure replays in the same order. */
function shuffle<T>(values: T[], seed = 42): T[] {
  const out = [...values];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('duplicate deliveries, shuffled across items', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startDeliveringSimulator>>;
  let service: RunningTestService;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startDeliveringSimulator(33);
    service = await startTestService(database, { plaidBaseUrl: simulator.url, config: { workerConcurrency: 4 } });
  });
  afterAll(async () => {
    await service?.stop();
    await simulator?.close();
    await database?.drop();
  });

  it('applies each change once and runs at most one sync per item per burst', async () => {
    const items = await syncedItems(service, simulator.control, { count: 8, transactionCount: 30 });

    simulator.deliveries.capture = [];
    for (const item of items) expect(simulator.control.advance(item.itemId, { added: 5, modified: 2, removed: 1, posted: 1 }).webhookFired).toBe(true);
    const captured = simulator.deliveries.capture;
    simulator.deliveries.capture = null;
    expect(captured).toHaveLength(items.length);

    const { now: burstStart } = only(await database.sql<{ now: Date }[]>`select now()`);
    const burst = shuffle(captured.flatMap((delivery) => [delivery, delivery, delivery]));
    const statuses = await Promise.all(
      burst.map(async (delivery) => {
        const response = await fetch(delivery.url, { method: 'POST', headers: delivery.headers, body: delivery.body });
        return ((await response.json()) as { outcome: string }).outcome;
      }),
    );
    expect(statuses.filter((outcome) => outcome === 'processed')).toHaveLength(items.length);
    expect(statuses.filter((outcome) => outcome === 'duplicate')).toHaveLength(items.length * 2);

    for (const item of items) await eventually(() => matchesTruth(database.sql, simulator.control, item.id, item.itemId), 30_000, 'burst sync');
    await eventually(() => syncQueuesIdle(database.sql), 10_000, 'idle queues');
    const runs = await database.sql<{ item_id: string; runs: number }[]>`
      select item_id, count(*)::int as runs from sync_runs where started_at >= ${burstStart} group by item_id`;
    expect(runs).toHaveLength(items.length);
    expect(runs.every((row) => row.runs === 1)).toBe(true);
    const events = await database.sql<{ status: string; count: number }[]>`
      select status, count(*)::int as count from webhook_events where received_at >= ${burstStart} group by status order by status`;
    expect(events).toEqual([{ status: 'duplicate', count: items.length * 2 }, { status: 'processed', count: items.length }]);
  }, 90_000);
});
