import type PgBoss from 'pg-boss';
import type { PlaidApi } from 'plaid';
import type { Config } from '../config/load-config.js';
import type { Database, Sql } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { pruneNotifications } from '../notifications/app-notifications.js';
import { startAppNotifier, type AppNotifier } from '../notifications/app-notifier.js';
import { pruneChangeFeed } from '../services/change-feed.js';
import { checkItemStatus } from '../status/status-check.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import type { TokenVault } from '../vault/token-vault.js';
import { handleItemWebhook } from '../webhooks/item-webhook-handler.js';
import { adoptStrandedOrphanWebhooks } from '../webhooks/orphan-adoption.js';
import { dispatchPendingWebhooks } from '../webhooks/webhook-dispatcher.js';
import { JobPool, type JobHandler } from './job-pool.js';
import type { IntakePressure } from '../webhooks/intake-pressure.js';
import { startJobQueue } from './job-queue.js';
import {
  CHANGE_FEED_PRUNE_CRON,
  CHANGE_FEED_PRUNE_QUEUE,
  STATUS_CHECK_QUEUE,
  STATUS_TICK_QUEUE,
  SYNC_QUEUES,
  WEBHOOK_EVENT_QUEUE,
} from './queue-names.js';
import { startQueueMetrics } from './queue-metrics.js';
import { QueueSyncScheduler } from './queue-sync-scheduler.js';
import { recoverOrphanedSyncJobs } from './orphaned-sync-jobs.js';
import { fanOutStatusChecks, type StatusCheckJobData } from './status-fanout.js';
import { syncJobHandler } from './sync-job-handler.js';
import { PgBossWorkQueue, type WebhookEventJobData } from './work-queue.js';
import { errorLogFields } from '../error-log-fields.js';

export interface QueueServiceDeps {
  config: Pick<Config, 'syncCron' | 'workerConcurrency' | 'shutdownTimeoutMs' | 'statusChecksPerMinute' | 'queuePollIntervalSeconds' | 'cronCheckIntervalSeconds' | 'changeFeedRetentionDays' | 'appWebhook'>;
  databaseUrl: string;
  db: Database;
  sql: Sql;
  plaid: PlaidApi;
  vault: TokenVault;
  logger: Logger;
  metrics: Metrics;
  engine: SyncEngine;
  /** How often runs held by dead processes are freed and synced again (default 30 s). */
  recoverEveryMs?: number;
  /** The engine's stale-heartbeat age: a sync job active this long without a live run was orphaned (default 60 s). */
  staleAfterMs?: number;
  /** The instance's webhook intake: while it is under a burst the workers take no new jobs. */
  intakePressure?: IntakePressure;
}

export interface QueueService {
  boss: PgBoss;
  syncs: QueueSyncScheduler;
  queue: PgBossWorkQueue;
  pool: JobPool;
  /** Present when APP_WEBHOOK_URL is set. */
  notifier: AppNotifier | undefined;
  /** Stops taking jobs, lets running ones finish (or releases them to other instances), stops pg-boss. */
  stop(): Promise<void>;
}

/**
 * The durable side of the service: pg-boss queues, this instance's workers, the status-check cron,
 * the queue gauges and the recovery of runs left by dead processes.
 */
export async function startQueueService(deps: QueueServiceDeps): Promise<QueueService> {
  const { config, logger, engine } = deps;
  const boss = await startJobQueue({ connectionString: deps.databaseUrl, logger, cronCheckIntervalSeconds: config.cronCheckIntervalSeconds });
  // The pool's handlers need the scheduler and the scheduler wakes the pool: tied through this callback.
  const wake = { pool: undefined as JobPool | undefined };
  const syncs = new QueueSyncScheduler(boss, { onEnqueued: (name) => wake.pool?.notify(name), run: (request) => engine.run(request) });
  const queue = new PgBossWorkQueue(boss, deps.sql, syncs, { statusChecksPerMinute: config.statusChecksPerMinute });

  const runSync = syncJobHandler({ sql: deps.sql, runSync: (request) => engine.run(request) });
  const itemEvent: JobHandler<WebhookEventJobData> = async (job, signal) => {
    const checkStatus = (itemId: string) => checkItemStatus({ ...deps, syncs }, { itemId, trigger: 'webhook', signal });
    try {
      return await handleItemWebhook({ db: deps.db, sql: deps.sql, logger, checkStatus }, job.data.eventId);
    } catch (error) {
      if (job.retryCount >= job.retryLimit) {
        await deps.sql`update webhook_events set status = 'failed', error = ${(error as Error).message}, processed_at = now()
          where id = ${job.data.eventId}`;
      }
      throw error;
    }
  };
  const statusCheck: JobHandler<StatusCheckJobData> = (job, signal) =>
    checkItemStatus({ ...deps, syncs }, { itemId: job.data.itemId, trigger: job.data.trigger, signal });
  const tick: JobHandler = async (job) => {
    const batch = await fanOutStatusChecks(boss, deps.sql, { trigger: 'schedule', perMinute: config.statusChecksPerMinute });
    logger.info({ jobId: job.id, queued: batch.queued, lastStartsAt: batch.lastStartsAt }, 'status_tick');
    return batch;
  };

  const pruneFeed: JobHandler = async (job) => {
    const pruned = await pruneChangeFeed(deps.db, config.changeFeedRetentionDays);
    const notices = await pruneNotifications(deps.sql, config.changeFeedRetentionDays, config.appWebhook !== undefined);
    logger.info({ jobId: job.id, pruned, notices, retentionDays: config.changeFeedRetentionDays }, 'change_feed_pruned');
    return { pruned };
  };

  const pool = new JobPool(boss, {
    concurrency: config.workerConcurrency,
    pollIntervalMs: config.queuePollIntervalSeconds * 1000,
    logger,
    yieldTo: deps.intakePressure,
    queues: [
      ...Object.values(SYNC_QUEUES).map((name) => ({ name, handler: runSync })),
      { name: WEBHOOK_EVENT_QUEUE, handler: itemEvent },
      { name: STATUS_CHECK_QUEUE, handler: statusCheck },
      { name: STATUS_TICK_QUEUE, handler: tick },
      { name: CHANGE_FEED_PRUNE_QUEUE, handler: pruneFeed },
    ],
  });
  wake.pool = pool;
  // pg-boss keeps one schedule row per name, so every instance may (re)declare it; each period's tick
  // is sent once, whichever instance's clock check sees it first.
  await boss.schedule(STATUS_TICK_QUEUE, config.syncCron, {}, { tz: 'UTC' });
  await boss.schedule(CHANGE_FEED_PRUNE_QUEUE, CHANGE_FEED_PRUNE_CRON, {}, { tz: 'UTC' });
  // WORKER_CONCURRENCY=0: an HTTP-only instance; it still enqueues, other instances' workers run the jobs.
  if (config.workerConcurrency > 0) pool.start();
  else logger.info({}, 'workers_off');

  // Deliveries run in a pool of their own, so a slow or dead app endpoint never holds a sync's slot.
  const notifier =
    config.appWebhook && config.workerConcurrency > 0
      ? startAppNotifier({ boss, sql: deps.sql, config: config.appWebhook, logger, metrics: deps.metrics, pollIntervalMs: config.queuePollIntervalSeconds * 1000 })
      : undefined;

  const stopMetrics = startQueueMetrics(deps.sql, deps.metrics, logger);
  const recover = () =>
    engine
      .recoverStaleRuns()
      .then(() => recoverOrphanedSyncJobs({ boss, sql: deps.sql, syncs, logger, staleAfterMs: deps.staleAfterMs ?? 60_000 }))
      .then(() => adoptStrandedOrphanWebhooks({ sql: deps.sql, queue }))
      .then((adopted) => {
        if (adopted > 0) logger.info({ adopted }, 'stranded_webhooks_adopted');
      })
      // Inbox rows whose dispatch never ran: their process died after the commit, or its dispatch failed.
      .then(() => dispatchPendingWebhooks({ sql: deps.sql, queue, logger }))
      .then((dispatched) => {
        if (dispatched > 0) logger.info({ dispatched }, 'stranded_webhooks_dispatched');
      })
      .then(
        () => undefined,
        (error: Error) => logger.warn(errorLogFields(error), 'sync_recovery_failed'),
      );
  void recover();
  const recovery = setInterval(() => void recover(), deps.recoverEveryMs ?? 30_000);
  recovery.unref();

  return {
    boss,
    syncs,
    queue,
    pool,
    notifier,
    async stop() {
      clearInterval(recovery);
      await notifier?.stop(config.shutdownTimeoutMs);
      stopMetrics();
      await pool.stop(config.shutdownTimeoutMs, () => engine.stop(0));
      await engine.stop(config.shutdownTimeoutMs);
      await boss.stop({ graceful: true, timeout: 1_000, wait: true });
    },
  };
}
