import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncJobData } from '../../src/queue/queue-sync-scheduler.js';
import { RetryableSyncError, syncJobHandler } from '../../src/queue/sync-job-handler.js';
import { EMPTY_COUNTS, type SyncOutcome } from '../../src/sync/sync-outcome.js';
import type { SyncRequest } from '../../src/sync/sync-scheduler.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertItem } from '../support/webhook-items.js';

describe('sync job handler', () => {
  let database: TestDatabase;
  let itemId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    itemId = await insertItem(buildTestApp(database).deps, { plaidItemId: `item-${randomUUID()}` });
  });
  afterAll(() => database.drop());

  function job(createdOn: Date): PgBoss.JobWithMetadata<SyncJobData> {
    return { id: randomUUID(), name: 'sync-transactions', data: { itemId, product: 'transactions', trigger: 'webhook', fromScratch: false }, createdOn } as PgBoss.JobWithMetadata<SyncJobData>;
  }

  async function run(startedSecondsAgo: number): Promise<string> {
    const [row] = await database.sql<{ id: string }[]>`
      insert into sync_runs (item_id, product, trigger, status, started_at, finished_at)
      values (${itemId}, 'transactions', 'webhook', 'succeeded', now() - make_interval(secs => ${startedSecondsAgo}), now())
      returning id`;
    return row!.id;
  }

  function engine(outcomes: SyncOutcome[]) {
    const calls: SyncRequest[] = [];
    return {
      calls,
      runSync: (request: SyncRequest) => {
        calls.push(request);
        return Promise.resolve(outcomes.shift()!);
      },
    };
  }

  it('runs again when the run it joined started before the job was queued', async () => {
    const older = await run(60);
    const newer = await run(0);
    const fake = engine([
      { status: 'succeeded', runId: older, counts: EMPTY_COUNTS, changed: false },
      { status: 'succeeded', runId: newer, counts: EMPTY_COUNTS, changed: true },
    ]);
    const handle = syncJobHandler({ sql: database.sql, runSync: fake.runSync });
    expect(await handle(job(new Date(Date.now() - 30_000)))).toEqual({ outcome: 'succeeded', runId: newer, changed: true });
    expect(fake.calls).toHaveLength(2);
  });

  it('decides from the start the outcome carries, without reading the run row', async () => {
    const created = new Date(Date.now() - 30_000);
    const runId = randomUUID();
    const fake = engine([
      { status: 'succeeded', runId, counts: EMPTY_COUNTS, changed: false, startedAt: new Date(created.getTime() - 5_000) },
      // A tie at millisecond precision counts as before: running again is the safe side.
      { status: 'succeeded', runId, counts: EMPTY_COUNTS, changed: false, startedAt: created },
      { status: 'succeeded', runId, counts: EMPTY_COUNTS, changed: true, startedAt: new Date(created.getTime() + 1) },
    ]);
    const handle = syncJobHandler({ sql: database.sql, runSync: fake.runSync });
    expect(await handle(job(created))).toEqual({ outcome: 'succeeded', runId, changed: true });
    expect(fake.calls).toHaveLength(3);
  });

  it('fails the job for a retry on transient errors and on shutdown; completes it on permanent ones', async () => {
    const runId = await run(0);
    const transient = engine([{ status: 'failed', runId, counts: EMPTY_COUNTS, error: { code: 'INSTITUTION_DOWN', message: 'down', kind: 'transient' } }]);
    await expect(syncJobHandler({ sql: database.sql, runSync: transient.runSync })(job(new Date(Date.now() - 60_000)))).rejects.toBeInstanceOf(RetryableSyncError);

    const stopping = engine([{ status: 'skipped', runId: null, reason: 'stopped' }]);
    await expect(syncJobHandler({ sql: database.sql, runSync: stopping.runSync })(job(new Date()))).rejects.toThrow('stopping');

    const reauth = engine([{ status: 'failed', runId, counts: EMPTY_COUNTS, error: { code: 'ITEM_LOGIN_REQUIRED', message: 'login', kind: 'needs_reauth' } }]);
    expect(await syncJobHandler({ sql: database.sql, runSync: reauth.runSync })(job(new Date(Date.now() - 60_000)))).toEqual({ outcome: 'failed', runId, code: 'ITEM_LOGIN_REQUIRED' });

    const gone = engine([{ status: 'skipped', runId: null, reason: 'item_disconnected' }]);
    expect(await syncJobHandler({ sql: database.sql, runSync: gone.runSync })(job(new Date()))).toEqual({ outcome: 'skipped', reason: 'item_disconnected' });
  });
});
