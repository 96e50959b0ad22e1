import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase, type Sql } from '../../src/db/client.js';
import { startJobQueue } from '../../src/queue/job-queue.js';
import { SYNC_QUEUES, WEBHOOK_EVENT_QUEUE } from '../../src/queue/queue-names.js';
import { QueueSyncScheduler } from '../../src/queue/queue-sync-scheduler.js';
import { PgBossWorkQueue } from '../../src/queue/work-queue.js';
import { dispatchPendingWebhooks, dispatchWebhookBatch, WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.js';
import type { WebhookEnqueuer } from '../../src/webhooks/webhook-enqueuer.js';
import { WebhookRecorder } from '../../src/webhooks/webhook-recorder.js';
import { buildTestApp, captureLogs } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertItem } from '../support/webhook-items.js';
import { recorderDelivery } from '../support/webhook-signing.js';


// A new body each time (`n`), so no delivery is another's duplicate.
let counter = 0;
const syncUpdate = (plaidItemId: string) => recorderDelivery({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: plaidItemId, initial_update_complete: true, historical_update_complete: true, n: counter++ });
const itemEvent = (plaidItemId: string) => recorderDelivery({ webhook_type: 'ITEM', webhook_code: 'NEW_ACCOUNTS_AVAILABLE', item_id: plaidItemId, error: null, n: counter++ });

describe('webhook dispatcher (inbox rows to jobs)', () => {
  let database: TestDatabase;
  let boss: PgBoss;
  let queue: PgBossWorkQueue;
  let recorder: WebhookRecorder;
  const logger = captureLogs().logger;
  const plaidItemIds = [`item-${randomUUID()}`, `item-${randomUUID()}`];
  const itemIds: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    boss = await startJobQueue({ connectionString: database.url, logger, cronCheckIntervalSeconds: 30, background: false });
    queue = new PgBossWorkQueue(boss, database.sql, new QueueSyncScheduler(boss), { statusChecksPerMinute: 60 });
    recorder = new WebhookRecorder({ sql: database.sql, dedupeWindowSeconds: 300 });
    const { deps } = buildTestApp(database);
    for (const plaidItemId of plaidItemIds) itemIds.push(await insertItem(deps, { plaidItemId }));
  });
  afterAll(async () => {
    await boss.stop({ graceful: false, wait: true });
    await database.drop();
  });
  beforeEach(async () => {
    await database.sql`delete from webhook_dispatch`;
    await database.sql`delete from pgboss.job`;
  });

  const syncJobs = () => database.sql<{ item_id: string; singleton_key: string }[]>`
    select data->>'itemId' as item_id, singleton_key from pgboss.job where name = ${SYNC_QUEUES.transactions} and state = 'created' order by 1`;
  const eventJobs = () => database.sql<{ event_id: string }[]>`select data->>'eventId' as event_id from pgboss.job where name = ${WEBHOOK_EVENT_QUEUE}`;
  const inboxCount = async () => (await database.sql<{ n: number }[]>`select count(*)::int as n from webhook_dispatch`)[0]!.n;

  /** The work queue, whose first item event enqueue fails. */
  function failingOnce(): WebhookEnqueuer {
    let failNext = true;
    return {
      enqueueSyncs: (tx, requests) => queue.enqueueSyncs(tx, requests),
      enqueueItemEvents: (tx, ids) => {
        if (failNext) {
          failNext = false;
          throw new Error('queue unavailable');
        }
        return queue.enqueueItemEvents(tx, ids);
      },
      notify: () => undefined,
    };
  }

  /** The work queue, with the item event ids of each enqueue kept in the order they were handed over. */
  function watched(): WebhookEnqueuer & { itemEvents: string[][] } {
    const itemEvents: string[][] = [];
    return {
      itemEvents,
      enqueueSyncs: (tx, requests) => queue.enqueueSyncs(tx, requests),
      enqueueItemEvents: (tx, ids) => (itemEvents.push([...ids]), queue.enqueueItemEvents(tx, ids)),
      notify: () => queue.notify(),
    };
  }

  it('coalesces sync requests per (item, product) and makes item jobs in the order their webhooks arrived', async () => {
    const [a, b] = plaidItemIds as [string, string];
    const recorded = [];
    // One at a time, so each is its own batch: the arrival order is the commit order.
    for (const next of [syncUpdate(a), itemEvent(a), syncUpdate(a), syncUpdate(b), itemEvent(a), syncUpdate(a), itemEvent(b), itemEvent(a)]) {
      recorded.push(await recorder.record(next));
    }
    expect(recorded.map((r) => r.status)).toEqual(['processed', 'received', 'processed', 'processed', 'received', 'processed', 'received', 'received']);
    const enqueuer = watched();
    expect(await dispatchPendingWebhooks({ sql: database.sql, queue: enqueuer, logger })).toBe(8);
    // Four sync webhooks for a, one for b: one waiting job each.
    expect(await syncJobs()).toEqual([...itemIds].sort().map((id) => ({ item_id: id, singleton_key: `${id}:transactions` })));
    const itemWebhooks = [recorded[1]!.id, recorded[4]!.id, recorded[6]!.id, recorded[7]!.id];
    expect(enqueuer.itemEvents).toEqual([itemWebhooks]);
    expect((await eventJobs()).map((job) => job.event_id).sort()).toEqual([...itemWebhooks].sort());
    expect(await inboxCount()).toBe(0);

    // A later dispatch while a's job still waits: the queue absorbs the request, no second job.
    await recorder.record(syncUpdate(a));
    expect(await dispatchPendingWebhooks({ sql: database.sql, queue: enqueuer, logger })).toBe(1);
    expect(await syncJobs()).toHaveLength(2);
  });

  it('several instances dispatching at once take disjoint rows: no job twice, none lost', async () => {
    // 400 item webhooks: one job each, so a row dispatched twice would show as a second job.
    const recorded = await Promise.all(Array.from({ length: 400 }, (_, i) => recorder.record(itemEvent(plaidItemIds[i % 2]!))));
    expect(recorded.every((r) => r.status === 'received')).toBe(true);
    const other = connectDatabase(database.url, { max: 4 });
    try {
      const instances: Sql[] = [database.sql, other.sql];
      const taken = instances.map(() => 0);
      // Two dispatch loops per instance, 20 rows a transaction.
      await Promise.all(
        [0, 0, 1, 1].map(async (instance) => {
          const dispatched = await dispatchPendingWebhooks({ sql: instances[instance]!, queue, logger }, 20);
          taken[instance]! += dispatched;
        }),
      );
      expect(taken[0]! + taken[1]!).toBe(400);
      // Which instance took how many depends on the machine's pace (one may take them all before the
      // other connects); that neither waits for the other's rows is the next test's.
      const jobs = (await eventJobs()).map((job) => job.event_id);
      expect(jobs).toHaveLength(400);
      expect(new Set(jobs)).toEqual(new Set(recorded.map((r) => r.id)));
      expect(await inboxCount()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('does not wait for rows another instance is dispatching (skip locked), and gets them back if that instance dies', async () => {
    const recorded = [];
    for (let i = 0; i < 30; i++) recorded.push(await recorder.record(itemEvent(plaidItemIds[0]!)));
    const other = postgres(database.url, { max: 1, onnotice: () => undefined });
    try {
      // Another instance's dispatch has claimed the first ten rows and not committed yet.
      const [backend] = await other<{ pid: number }[]>`select pg_backend_pid() as pid`;
      // Waited for from inside its transaction: the backend is also idle in transaction between BEGIN
      // and the delete, before it holds any row.
      let claimed!: () => void;
      const rowsHeld = new Promise<void>((resolve) => (claimed = resolve));
      const held = other.begin(async (tx) => {
        const rows = await tx`delete from webhook_dispatch where seq in (select seq from webhook_dispatch order by seq limit 10 for update skip locked) returning seq`;
        expect(rows).toHaveLength(10);
        claimed();
        await new Promise(() => undefined);
      });
      held.catch(() => undefined);
      await rowsHeld;
      const timeout = new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 5_000).unref());
      expect(await Promise.race([dispatchPendingWebhooks({ sql: database.sql, queue, logger }), timeout])).toBe(20);
      // That instance dies before its commit: its rows are back, and the next sweep makes their jobs.
      // Its delete was never visible to others (the count is 10 already): what frees the rows is the
      // end of that backend, so that is what is waited for.
      await database.sql`select pg_terminate_backend(${backend!.pid})`;
      await waitFor(async () => (await database.sql`select 1 from pg_stat_activity where pid = ${backend!.pid}`).length === 0);
      expect(await inboxCount()).toBe(10);
      expect(await dispatchPendingWebhooks({ sql: database.sql, queue, logger })).toBe(10);
      const jobs = (await eventJobs()).map((job) => job.event_id);
      expect(jobs).toHaveLength(30);
      expect(new Set(jobs)).toEqual(new Set(recorded.map((r) => r.id)));
    } finally {
      await other.end({ timeout: 1 }).catch(() => undefined);
    }
  });

  it('leaves the rows when a job statement fails, and makes their jobs at the next dispatch', async () => {
    const recorded = [await recorder.record(syncUpdate(plaidItemIds[0]!)), await recorder.record(itemEvent(plaidItemIds[0]!))];
    const failing: WebhookEnqueuer = {
      enqueueSyncs: (tx) => tx.unsafe('insert into no_such_queue.job (id) values (1)').execute(),
      enqueueItemEvents: (tx, ids) => queue.enqueueItemEvents(tx, ids),
      notify: () => undefined,
    };
    await expect(dispatchWebhookBatch({ sql: database.sql, queue: failing, logger })).rejects.toThrow('no_such_queue');
    expect(await inboxCount()).toBe(2);
    expect(await eventJobs()).toEqual([]);
    expect(await dispatchPendingWebhooks({ sql: database.sql, queue, logger })).toBe(2);
    expect(await syncJobs()).toEqual([{ item_id: itemIds[0], singleton_key: `${itemIds[0]}:transactions` }]);
    expect(await eventJobs()).toEqual([{ event_id: recorded[1]!.id }]);
  });

  it('crash between the inbox commit and the dispatch: the sweep of a restarted instance makes every job once', async () => {
    // Acknowledged (committed) and the process gone before its dispatcher ran: only the inbox rows exist.
    const recorded = await Promise.all([0, 1, 0, 1].map((i) => recorder.record(itemEvent(plaidItemIds[i]!))));
    await Promise.all(plaidItemIds.map((id) => recorder.record(syncUpdate(id))));
    expect(await eventJobs()).toEqual([]);
    // The restarted instance's recovery sweep, run twice (as every 30 s, or by two instances).
    expect(await dispatchPendingWebhooks({ sql: database.sql, queue, logger })).toBe(6);
    expect(await dispatchPendingWebhooks({ sql: database.sql, queue, logger })).toBe(0);
    expect(new Set((await eventJobs()).map((job) => job.event_id))).toEqual(new Set(recorded.map((r) => r.id)));
    expect(await eventJobs()).toHaveLength(4);
    expect(await syncJobs()).toHaveLength(2);
  });

  it('the intake’s dispatcher runs once at a time, goes again when woken meanwhile, and retries a failed dispatch', async () => {
    const enqueuer = failingOnce();
    const dispatcher = new WebhookDispatcher({ sql: database.sql, queue: enqueuer, logger }, { retryAfterMs: 50 });
    await recorder.record(itemEvent(plaidItemIds[0]!));
    dispatcher.wake();
    await dispatcher.settled();
    expect(await inboxCount()).toBe(1);
    // The retry, without another wake.
    await waitFor(async () => (await inboxCount()) === 0);
    await dispatcher.settled();
    expect(await eventJobs()).toHaveLength(1);

    // Rows committed while a dispatch runs are taken by the pass a wake during it asks for.
    await recorder.record(itemEvent(plaidItemIds[0]!));
    dispatcher.wake();
    await recorder.record(itemEvent(plaidItemIds[1]!));
    dispatcher.wake();
    await dispatcher.settled();
    expect(await inboxCount()).toBe(0);
    expect(await eventJobs()).toHaveLength(3);
  });

  it('stops at shutdown: the dispatch under way finishes, no retry or wake starts another, the rows wait for the sweep', async () => {
    const enqueuer = failingOnce();
    const dispatcher = new WebhookDispatcher({ sql: database.sql, queue: enqueuer, logger }, { retryAfterMs: 50, gatherMs: 100 });
    await recorder.record(itemEvent(plaidItemIds[0]!));
    // A dispatch under way when the stop comes (still gathering): it runs, and fails; its retry is cancelled.
    dispatcher.wake();
    await dispatcher.stop();
    expect(await inboxCount()).toBe(1);
    dispatcher.wake();
    await dispatcher.settled();
    // Longer than the retry delay: nothing came back to take the row.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await inboxCount()).toBe(1);
    expect(await eventJobs()).toHaveLength(0);
    // The next instance's sweep makes its job.
    expect(await dispatchPendingWebhooks({ sql: database.sql, queue, logger })).toBe(1);
    expect(await eventJobs()).toHaveLength(1);
  });

  it('a dispatch that starts from idle gathers the webhooks of the next moment into one transaction', async () => {
    const enqueuer = watched();
    const dispatcher = new WebhookDispatcher({ sql: database.sql, queue: enqueuer, logger }, { gatherMs: 300 });
    const recorded = [await recorder.record(itemEvent(plaidItemIds[0]!))];
    dispatcher.wake();
    for (const plaidItemId of plaidItemIds) {
      recorded.push(await recorder.record(itemEvent(plaidItemId)));
      dispatcher.wake();
    }
    await dispatcher.settled();
    expect(enqueuer.itemEvents).toEqual([recorded.map((r) => r.id)]);
    expect(await inboxCount()).toBe(0);
  });
  /**
   * The work queue, whose first item event enqueue waits inside PostgreSQL (on an advisory lock this
   * test's own connection holds) until `open()`; `entered` resolves when that statement is handed over.
   */
  async function heldOnce(): Promise<WebhookEnqueuer & { itemEvents: string[][]; entered: Promise<void>; open: () => Promise<void> }> {
    const key = Math.floor(Math.random() * 1e9);
    const holder = postgres(database.url, { max: 1, onnotice: () => undefined });
    await holder`select pg_advisory_lock(${key})`;
    const itemEvents: string[][] = [];
    let enter!: () => void;
    const entered = new Promise<void>((resolve) => (enter = resolve));
    return {
      itemEvents, entered,
      open: async () => {
        await holder`select pg_advisory_unlock(${key})`;
        await holder.end();
      },
      enqueueSyncs: (tx, requests) => queue.enqueueSyncs(tx, requests),
      enqueueItemEvents: (tx, ids) => {
        itemEvents.push([...ids]);
        if (itemEvents.length === 1) {
          // Ahead of the enqueue on the same connection: the transaction waits here.
          void tx.unsafe(`select pg_advisory_xact_lock(${key})`).execute().catch(() => undefined);
          enter();
        }
        return queue.enqueueItemEvents(tx, ids);
      },
      notify: () => undefined,
    };
  }

  /** A first dispatch held while two more webhooks are recorded (each waking the dispatcher); then let go. */
  async function wokenDuringADispatch(dispatcher: WebhookDispatcher, enqueuer: Awaited<ReturnType<typeof heldOnce>>) {
    const first = await recorder.record(itemEvent(plaidItemIds[0]!));
    dispatcher.wake();
    await enqueuer.entered;
    const during = [await recorder.record(itemEvent(plaidItemIds[1]!)), await recorder.record(itemEvent(plaidItemIds[0]!))];
    dispatcher.wake();
    dispatcher.wake();
    await enqueuer.open();
    // The first dispatch committed: its row is gone (the two recorded during it wait, or go at once).
    await waitFor(async () => (await inboxCount()) <= 2);
    return { first, during };
  }

  it('outside a burst, a dispatch woken during another gathers first, so a trickle shares transactions', async () => {
    const enqueuer = await heldOnce();
    const dispatcher = new WebhookDispatcher({ sql: database.sql, queue: enqueuer, logger }, { gatherMs: 1_500, inBurst: () => false });
    const { first, during } = await wokenDuringADispatch(dispatcher, enqueuer);
    // Arrives while the next dispatch gathers: it goes with the two before it.
    const later = await recorder.record(itemEvent(plaidItemIds[1]!));
    dispatcher.wake();
    await dispatcher.settled();
    expect(enqueuer.itemEvents).toEqual([[first.id], [...during.map((r) => r.id), later.id]]);
    expect(await inboxCount()).toBe(0);
  });

  it('in a burst, a dispatch woken during another goes at once', async () => {
    const enqueuer = await heldOnce();
    const dispatcher = new WebhookDispatcher({ sql: database.sql, queue: enqueuer, logger }, { gatherMs: 5_000, inBurst: () => true });
    const { first, during } = await wokenDuringADispatch(dispatcher, enqueuer);
    const released = performance.now();
    await dispatcher.settled();
    // Not the 5 s gather: the next dispatch started as soon as the first ended.
    expect(performance.now() - released).toBeLessThan(4_000);
    expect(enqueuer.itemEvents).toEqual([[first.id], during.map((r) => r.id)]);
    expect(await inboxCount()).toBe(0);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
