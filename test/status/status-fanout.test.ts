import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startJobQueue } from '../../src/queue/job-queue.js';
import { QueueSyncScheduler } from '../../src/queue/queue-sync-scheduler.js';
import { PgBossWorkQueue } from '../../src/queue/work-queue.js';
import { refreshAllItems } from '../../src/status/refresh-all.js';
import { buildTestApp, captureLogs, TEST_API_TOKEN } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertItem, only } from '../support/webhook-items.js';

describe('status checks fanned out across the hour', () => {
  let database: TestDatabase;
  let boss: PgBoss;
  let queue: PgBossWorkQueue;
  const userId = randomUUID();

  beforeAll(async () => {
    database = await createTestDatabase();
    boss = await startJobQueue({ connectionString: database.url, logger: captureLogs().logger, cronCheckIntervalSeconds: 30, background: false });
    queue = new PgBossWorkQueue(boss, database.sql, new QueueSyncScheduler(boss), { statusChecksPerMinute: 60 });
    const { deps } = buildTestApp(database);
    for (let i = 0; i < 5; i++) await insertItem(deps, { plaidItemId: `item-${randomUUID()}`, userId: i < 2 ? userId : randomUUID() });
    await insertItem(deps, { plaidItemId: `item-${randomUUID()}`, status: 'disconnected' });
  });
  afterAll(async () => {
    await boss.stop({ graceful: false, wait: true });
    await database.drop();
  });
  beforeEach(async () => {
    await database.sql`delete from pgboss.job where name = 'item-status-check'`;
  });

  const jobs = () => database.sql<{ item_id: string; offset_s: number; trigger: string }[]>`
    select data->>'itemId' as item_id, data->>'trigger' as trigger,
      round(extract(epoch from start_after - min(start_after) over ()))::int as offset_s
    from pgboss.job where name = 'item-status-check' and state = 'created' order by start_after`;

  it('queues one check per live item, one second apart at 60 a minute, none for disconnected items', async () => {
    const batch = await refreshAllItems({ queue });
    expect(batch.queued).toBe(5);
    const queued = await jobs();
    expect(queued.map((job) => job.offset_s)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(queued.map((job) => job.trigger))).toEqual(new Set(['refresh_all']));
  });

  it('a second batch for all items queues nothing already waiting; a new item goes after the tail', async () => {
    await queue.requestStatusChecks({ trigger: 'schedule' });
    const newcomer = await insertItem(buildTestApp(database).deps, { plaidItemId: `item-${randomUUID()}` });
    const again = await queue.requestStatusChecks({ trigger: 'refresh_all' });
    expect(again.queued).toBe(1);
    const queued = await jobs();
    expect(queued.at(-1)).toMatchObject({ item_id: newcomer, offset_s: 5 });
    await database.sql`update plaid_items set status = 'disconnected' where id = ${newcomer}`;
  });

  it("a user's refresh starts now and pulls that user's waiting checks forward", async () => {
    await queue.requestStatusChecks({ trigger: 'schedule' });
    await database.sql`update pgboss.job set start_after = now() + interval '30 minutes' where name = 'item-status-check'`;
    const batch = await queue.requestStatusChecks({ userId, trigger: 'refresh_all' });
    expect(batch.queued).toBe(0);
    const { due } = only(await database.sql<{ due: number }[]>`
      select count(*)::int as due from pgboss.job where name = 'item-status-check' and start_after <= now()`);
    expect(due).toBe(2);
  });

  it('POST /api/items/refresh-all queues the caller’s items and answers 202; it needs the app token', async () => {
    const { app } = buildTestApp(database, { queue });
    const res = await app.request('/api/items/refresh-all', { method: 'POST', headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': userId } });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ queued: 2 });
    const unauthenticated = await app.request('/api/items/refresh-all', { method: 'POST', headers: { 'x-user-id': userId } });
    expect(unauthenticated.status).toBe(401);
    const badUser = await app.request('/api/items/refresh-all', { method: 'POST', headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': 'nope' } });
    expect(badUser.status).toBe(422);
  });
});
