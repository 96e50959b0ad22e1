import type PgBoss from 'pg-boss';
import type { Sql } from '../db/client.js';
import type { SyncOutcome } from '../sync/sync-outcome.js';
import type { SyncRequest, SyncScheduler } from '../sync/sync-scheduler.js';
import { syncQueueFor } from './queue-names.js';
import { insertJobs, type JobStatement } from './transaction-db.js';

export interface SyncJobData {
  itemId: string;
  product: SyncRequest['product'];
  trigger: SyncRequest['trigger'];
  fromScratch: boolean;
}

/**
 * Requests for the same (item, product) share a key; the queue keeps one waiting job per key, so a
 * burst of triggers becomes one run. A history backfill has its own key: folding it into a waiting
 * incremental sync would lose the "from scratch".
 */
export function syncSingletonKey(request: Pick<SyncRequest, 'itemId' | 'product' | 'fromScratch'>): string {
  return `${request.itemId}:${request.product}${request.fromScratch ? ':full' : ''}`;
}

function jobOf(request: SyncRequest): { data: SyncJobData; options: PgBoss.SendOptions } {
  return {
    data: { itemId: request.itemId, product: request.product, trigger: request.trigger, fromScratch: request.fromScratch ?? false },
    options: { singletonKey: syncSingletonKey(request) },
  };
}

export interface QueueSyncSchedulerOptions {
  /** Called with the queue's name after a job is committed, so local workers look at once. */
  onEnqueued?: (queue?: string) => void;
  /** The engine's run-and-wait, for callers that need the outcome (the REST sync route). */
  run?: (request: SyncRequest) => Promise<SyncOutcome>;
}

/**
 * The service's `SyncScheduler`: a sync request is a durable pg-boss job on its product's queue, run
 * by whichever instance's worker takes it. Requests survive a crash of the instance that made them.
 */
export class QueueSyncScheduler implements SyncScheduler {
  readonly run?: (request: SyncRequest) => Promise<SyncOutcome>;

  constructor(
    private readonly boss: PgBoss,
    private readonly options: QueueSyncSchedulerOptions = {},
  ) {
    if (options.run) this.run = options.run;
  }

  async request(request: SyncRequest): Promise<void> {
    const { data, options } = jobOf(request);
    await this.boss.send(syncQueueFor(request.product), data, options);
    this.options.onEnqueued?.(syncQueueFor(request.product));
  }

  /**
   * Enqueues inside the caller's open transaction (postgres.js), so the jobs exist exactly when the
   * caller's rows do; the caller calls `notify()` after its commit. All requests go in one statement
   * (pg-boss's `insert`: the queue's retry and expiry settings apply, and a request whose key already
   * has a waiting job is absorbed, as with `send`), handed to the connection before this returns
   * (`insertJobs`). `requests` must not be empty.
   */
  requestAllIn(tx: Pick<Sql, 'unsafe'>, requests: readonly SyncRequest[]): JobStatement {
    const jobs = requests.map((request) => {
      const { data, options } = jobOf(request);
      return { name: syncQueueFor(request.product), data, singletonKey: options.singletonKey };
    });
    return insertJobs(tx, this.boss, jobs);
  }

  /** Wakes local workers for one queue, or for all of them. */
  notify(queue?: string): void {
    this.options.onEnqueued?.(queue);
  }
}
