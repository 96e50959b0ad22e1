import type PgBoss from 'pg-boss';
import type { Sql } from '../db/client.js';
import type { StatusCheckBatch, StatusCheckRequest, StatusCheckRequester } from '../status/status-checks.js';
import type { SyncRequest } from '../sync/sync-scheduler.js';
import type { WebhookEnqueuer } from '../webhooks/webhook-enqueuer.js';
import { WEBHOOK_EVENT_QUEUE } from './queue-names.js';
import type { QueueSyncScheduler } from './queue-sync-scheduler.js';
import { fanOutStatusChecks } from './status-fanout.js';
import { postgresJsDb } from './transaction-db.js';

/** What the HTTP side (webhook intake, refresh-all, the admin page) puts on the durable queue. */
export interface WorkQueue extends WebhookEnqueuer, StatusCheckRequester {}

export interface WebhookEventJobData {
  eventId: string;
}

export class PgBossWorkQueue implements WorkQueue {
  constructor(
    private readonly boss: PgBoss,
    private readonly sql: Sql,
    private readonly syncs: QueueSyncScheduler,
    private readonly options: { statusChecksPerMinute: number },
  ) {}

  enqueueSync(tx: Pick<Sql, 'unsafe'>, request: SyncRequest): Promise<void> {
    return this.syncs.requestIn(tx, request);
  }

  async enqueueItemEvent(tx: Pick<Sql, 'unsafe'>, eventId: string): Promise<void> {
    const data: WebhookEventJobData = { eventId };
    await this.boss.send(WEBHOOK_EVENT_QUEUE, data, { db: postgresJsDb(tx) });
  }

  notify(): void {
    this.syncs.notify();
  }

  requestStatusChecks(request: StatusCheckRequest): Promise<StatusCheckBatch> {
    return fanOutStatusChecks(this.boss, this.sql, { ...request, perMinute: this.options.statusChecksPerMinute }).then((batch) => {
      this.notify();
      return batch;
    });
  }
}
