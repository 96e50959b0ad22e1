import type PgBoss from 'pg-boss';
import type { AppWebhookConfig } from '../config/load-config.js';
import type { Sql } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { JobPool, type JobHandler } from '../queue/job-pool.js';
import { APP_WEBHOOK_QUEUE } from '../queue/queue-names.js';
import { deliverNotification, dispatchPending, requestRedelivery, DeliveryFailedError, type AppNotificationJobData } from './app-notifications.js';

export interface AppNotifierDeps {
  boss: PgBoss;
  sql: Sql;
  config: AppWebhookConfig;
  logger: Logger;
  metrics: Metrics;
  /** How often pending notices are looked for (default 1 s) and idle queues polled. */
  dispatchEveryMs?: number;
  pollIntervalMs: number;
}

export interface AppNotifier {
  pool: JobPool;
  /** Queues pending notices now instead of at the next tick. */
  dispatch(): Promise<number>;
  redeliver(notificationId: string): Promise<boolean>;
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Delivers notifications to the app from this instance: a dispatcher that turns pending notices into
 * jobs every second, and a delivery pool of APP_WEBHOOK_CONCURRENCY jobs at once.
 */
export function startAppNotifier(deps: AppNotifierDeps): AppNotifier {
  const { boss, sql, config, logger } = deps;
  // Every series at zero from the start: a rate over the first deliveries is then a rise from 0, not
  // a series that appears with its first sample and has no rate until the next scrape.
  for (const event of ['changes.available', 'item.status_changed']) {
    for (const outcome of ['delivered', 'http_error', 'timeout', 'network_error']) deps.metrics.appWebhookDeliveries.inc({ event, outcome }, 0);
    deps.metrics.appWebhookDeliverySeconds.zero({ event });
  }
  const deliver: JobHandler<AppNotificationJobData> = async (job) => {
    try {
      return await deliverNotification(deps, job.data, job.retryCount >= job.retryLimit);
    } catch (error) {
      // An app that did not take it is expected and already logged; anything else is ours.
      if (!(error instanceof DeliveryFailedError)) logger.error({ err: { message: (error as Error).message } }, 'app_webhook_delivery_error');
      throw error;
    }
  };
  const pool = new JobPool(boss, {
    concurrency: config.concurrency,
    pollIntervalMs: deps.pollIntervalMs,
    logger,
    queues: [{ name: APP_WEBHOOK_QUEUE, handler: deliver }],
  });
  pool.start();

  let running: Promise<number> | undefined;
  const dispatch = (): Promise<number> => {
    running ??= dispatchPending(sql, boss, config)
      .then((queued) => {
        if (queued > 0) pool.notify(APP_WEBHOOK_QUEUE);
        return queued;
      })
      .catch((error: Error) => {
        logger.warn({ err: { message: error.message } }, 'app_webhook_dispatch_failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void dispatch(), deps.dispatchEveryMs ?? 1000);
  timer.unref();
  void dispatch();

  return {
    pool,
    dispatch,
    async redeliver(notificationId) {
      const requested = await requestRedelivery(sql, notificationId);
      if (requested) await dispatch();
      return requested;
    },
    async stop(timeoutMs) {
      clearInterval(timer);
      await running;
      await pool.stop(timeoutMs);
    },
  };
}
