import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IntakePressure } from '../../src/webhooks/intake-pressure.js';
import { WebhookRecorder } from '../../src/webhooks/webhook-recorder.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertItem } from '../support/webhook-items.js';
import { recorderDelivery } from '../support/webhook-signing.js';


const syncUpdate = (itemId: string) => ({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: itemId, initial_update_complete: true, historical_update_complete: true, environment: 'sandbox' });

describe('webhook recorder (group commit)', () => {
  let database: TestDatabase;
  const plaidItemIds = Array.from({ length: 40 }, () => `item-${randomUUID()}`);
  const itemIds = new Map<string, string>();

  beforeAll(async () => {
    database = await createTestDatabase();
    const { deps } = buildTestApp(database);
    for (const plaidItemId of plaidItemIds) itemIds.set(plaidItemId, await insertItem(deps, { plaidItemId }));
  });
  afterAll(() => database.drop());
  beforeEach(async () => {
    await database.sql`delete from webhook_events`;
    await database.sql`delete from webhook_dispatch`;
  });

  it('writes concurrent deliveries in shared transactions, each resolved with its own row after the commit', async () => {
    const recorder = new WebhookRecorder({ sql: database.sql, dedupeWindowSeconds: 300, maxInFlight: 1, maxBatch: 16 });

    const results = await Promise.all(plaidItemIds.map((id) => recorder.record(recorderDelivery(syncUpdate(id)))));

    expect(results.map((r) => r.status)).toEqual(plaidItemIds.map(() => 'processed'));
    expect(results.map((r) => r.itemId)).toEqual(plaidItemIds.map((id) => itemIds.get(id)));
    // One transaction per batch: the first delivery went alone (nothing was in flight); the other 39
    // waited and were shared out in batches of at most 16.
    const batches = await database.sql<{ xid: string; n: number }[]>`
      select xmin::text as xid, count(*)::int as n from webhook_events group by xmin order by min(received_at), 1`;
    expect(batches[0]!.n).toBe(1);
    expect(batches.length).toBeLessThan(plaidItemIds.length);
    expect(Math.max(...batches.map((b) => b.n))).toBeLessThanOrEqual(16);
    // Each row and its inbox row in the same transaction.
    const inbox = await database.sql<{ item_id: string; job: string; same_transaction: boolean }[]>`
      select d.item_id, d.job, d.xmin = e.xmin as same_transaction from webhook_dispatch d join webhook_events e on e.id = d.event_id`;
    expect(inbox.map((row) => row.item_id).sort()).toEqual([...itemIds.values()].sort());
    expect(inbox.every((row) => row.job === 'transactions' && row.same_transaction)).toBe(true);
    const rows = await database.sql<{ id: string; status: string }[]>`select id, status from webhook_events`;
    expect(new Map(rows.map((r) => [r.id, r.status]))).toEqual(new Map(results.map((r) => [r.id, r.status])));
  });

  it('tells the intake pressure of a burst (deliveries that queued behind a write), not of one delivery', async () => {
    const pressure = new IntakePressure({ maxYieldMs: 60_000, busyBatch: 4, holdMs: 60_000 });
    const recorder = new WebhookRecorder({ sql: database.sql, dedupeWindowSeconds: 300, maxInFlight: 1, bursts: pressure.bursts });

    await recorder.record(recorderDelivery(syncUpdate(plaidItemIds[0]!)));
    expect(pressure.shouldYield()).toBe(false);

    await Promise.all(plaidItemIds.slice(1, 20).map((id) => recorder.record(recorderDelivery(syncUpdate(id)))));
    expect(pressure.shouldYield()).toBe(true);
  });

  it('decides every outcome in one batch: processed, received, ignored, orphan, duplicate', async () => {
    const recorder = new WebhookRecorder({ sql: database.sql, dedupeWindowSeconds: 300, maxInFlight: 1 });
    const [first, second] = plaidItemIds as [string, string];
    // The first record() goes alone; the next six are one batch.
    const lead = recorder.record(recorderDelivery(syncUpdate(first)));
    const rest = Promise.all([
      recorder.record(recorderDelivery(syncUpdate(second))),
      recorder.record(recorderDelivery({ webhook_type: 'ITEM', webhook_code: 'LOGIN_REPAIRED', item_id: second, environment: 'sandbox' })),
      recorder.record(recorderDelivery({ webhook_type: 'TRANSACTIONS', webhook_code: 'DEFAULT_UPDATE', item_id: second, new_transactions: 1 })),
      recorder.record(recorderDelivery(syncUpdate('nobody'))),
      recorder.record(recorderDelivery(syncUpdate(first))),
      recorder.record(recorderDelivery(syncUpdate(second))),
    ]);
    expect((await lead).status).toBe('processed');
    // A new delivery of the lead's body is processed (it may announce a change nothing fetched yet);
    // a second copy of a body inside one batch is a duplicate of the first.
    const decided = await rest;
    expect(decided.map((r) => r.status)).toEqual(['processed', 'received', 'ignored', 'orphan', 'processed', 'duplicate']);
    // Only what asks for a job is in the inbox, in the order the deliveries came.
    const inbox = await database.sql<{ event_id: string; item_id: string; job: string }[]>`select event_id, item_id, job from webhook_dispatch order by seq`;
    expect(inbox).toEqual([
      { event_id: (await lead).id, item_id: itemIds.get(first), job: 'transactions' },
      { event_id: decided[0].id, item_id: itemIds.get(second), job: 'transactions' },
      { event_id: decided[1].id, item_id: itemIds.get(second), job: 'item' },
      { event_id: decided[4].id, item_id: itemIds.get(first), job: 'transactions' },
    ]);
  });

  it('retries a failed batch one delivery at a time: only the delivery the database refuses fails', async () => {
    // The backlog counts every delivery held, written or refused, until it is answered.
    let held = 0;
    const backlog = { inc: (count: number) => (held += count), dec: (count: number) => (held -= count) };
    const recorder = new WebhookRecorder({ sql: database.sql, dedupeWindowSeconds: 300, maxInFlight: 1, backlog });
    // Valid JSON that PostgreSQL's jsonb refuses (a NUL character inside a string); the intake
    // answers such a body 400 before it reaches the recorder, so it is built here past that check.
    const poisoned = { ...recorderDelivery(`{"webhook_type":"ASSETS","webhook_code":"PRODUCT_READY"}`), text: `{"webhook_type":"ASSETS","webhook_code":"PRODUCT_READY","note":"\\u0000"}` };
    const lead = recorder.record(recorderDelivery(syncUpdate(plaidItemIds[2]!)));
    const batch = [
      recorder.record(recorderDelivery(syncUpdate(plaidItemIds[3]!))),
      recorder.record(poisoned),
      recorder.record(recorderDelivery(syncUpdate(plaidItemIds[4]!))),
    ];
    expect(held).toBe(4);
    await lead;
    const settled = await Promise.allSettled(batch);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(held).toBe(0);
    const { count } = (await database.sql<{ count: number }[]>`select count(*)::int as count from webhook_events`)[0]!;
    expect(count).toBe(3);
  });
});
