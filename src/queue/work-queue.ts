import type PgBoss from 'pg-boss';
import type { Sql } from '../db/client.js';
import type { StatusCheckBatch, StatusCheckRequest, StatusCheckRequester } from '../status/status-checks.js';
import type { SyncRequest } from '../sync/sync-scheduler.js';
import type { WebhookEnqueuer } from '../webhooks/webhook-enqueuer.js';
import { STATUS_CHECK_QUEUE, WEBHOOK_EVENT_QUEUE, syncQueueFor } from './queue-names.js';
import type { QueueSyncScheduler } from './queue-sync-scheduler.js';
import { fanOutStatusChecks } from './status-fanout.js';
import { insertJobs, type JobStatement } from './transaction-db.js';

/** What the HTTP side (webhook intake, refresh-all, the admin page) puts on the durable queue. */
export interface WorkQueue extends WebhookEnqueuer, StatusCheckRequester {}

export interface WebhookEventJobData {
  eventId: string;
}

export class PgBossWorkQueue implements WorkQueue {
  /** Queues written to since the last `notify`, so only their workers are woken. */
  private readonly written = new Set<string>();

  constructor(
    private readonly boss: PgBoss,
    private readonly sql: Sql,
    private readonly syncs: QueueSyncScheduler,
    private readonly options: { statusChecksPerMinute: number },
  ) {}

  enqueueSyncs(tx: Pick<Sql, 'unsafe'>, requests: readonly SyncRequest[]): JobStatement {
    for (const request of requests) this.written.add(syncQueueFor(request.product));
    return this.syncs.requestAllIn(tx, requests);
  }

  enqueueItemEvents(tx: Pick<Sql, 'unsafe'>, eventIds: readonly string[]): JobStatement {
    this.written.add(WEBHOOK_EVENT_QUEUE);
    const jobs = eventIds.map((eventId) => ({ name: WEBHOOK_EVENT_QUEUE, data: { eventId } satisfies WebhookEventJobData }));
    return insertJobs(tx, this.boss, jobs);
  }

  notify(): void {
    const queues = [...this.written];
    this.written.clear();
    for (const queue of queues) this.syncs.notify(queue);
    // Another request's notify took the names first: look at every queue rather than miss a job.
    if (queues.length === 0) this.syncs.notify();
  }

  requestStatusChecks(request: StatusCheckRequest): Promise<StatusCheckBatch> {
    return fanOutStatusChecks(this.boss, this.sql, { ...request, perMinute: this.options.statusChecksPerMinute }).then((batch) => {
      this.syncs.notify(STATUS_CHECK_QUEUE);
      return batch;
    });
  }
}
