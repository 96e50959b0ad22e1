import type { Sql } from '../db/client.js';
import { ITEM_STATUSES } from '../db/schema/products.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { QUEUE_SCHEMA } from './job-queue.js';
import { ALL_QUEUES } from './queue-names.js';
import { errorLogFields } from '../error-log-fields.js';

type GaugeMetrics = Pick<Metrics, 'queueDepth' | 'queueOldestJobAge' | 'itemsByStatus'>;

/**
 * The webhooks recorded whose jobs are not made yet (`webhook_dispatch`), reported as a queue of its
 * own: normally empty within milliseconds, so a depth that stays up (the dispatch failing in every
 * instance) meets the same backlog alert as a queue nobody works.
 */
export const WEBHOOK_INBOX_GAUGE = 'webhook-inbox';

/**
 * Reads the queue and item gauges from the database. Only jobs that are due count: status checks are
 * queued for the whole hour ahead on purpose, and a job waiting for its start time is not a backlog.
 * The queries read small sets (unfinished jobs and items grouped by status, index-backed; the inbox).
 */
export async function refreshQueueMetrics(sql: Sql, metrics: GaugeMetrics): Promise<void> {
  const [queues, items, [inbox]] = await Promise.all([
    sql<{ name: string; depth: number; oldest: number | null }[]>`
      select name, count(*)::int as depth, extract(epoch from now() - min(start_after))::float8 as oldest
      from ${sql(QUEUE_SCHEMA)}.job
      where state < 'completed' and start_after <= now()
      group by name`,
    sql<{ status: string; count: number }[]>`select status, count(*)::int as count from plaid_items group by status`,
    sql<{ depth: number; oldest: number | null }[]>`
      select count(*)::int as depth, extract(epoch from now() - min(received_at))::float8 as oldest from webhook_dispatch`,
  ]);
  const byQueue = new Map(queues.map((row) => [row.name, row]));
  for (const name of ALL_QUEUES) {
    const row = byQueue.get(name);
    metrics.queueDepth.set({ queue: name }, row?.depth ?? 0);
    metrics.queueOldestJobAge.set({ queue: name }, Math.max(0, row?.oldest ?? 0));
  }
  metrics.queueDepth.set({ queue: WEBHOOK_INBOX_GAUGE }, inbox?.depth ?? 0);
  metrics.queueOldestJobAge.set({ queue: WEBHOOK_INBOX_GAUGE }, Math.max(0, inbox?.oldest ?? 0));
  const byStatus = new Map(items.map((row) => [row.status, row.count]));
  for (const status of ITEM_STATUSES) metrics.itemsByStatus.set({ status }, byStatus.get(status) ?? 0);
}

/** Keeps the gauges a few seconds fresh; a failed read (database restarting) keeps the last values. */
export function startQueueMetrics(sql: Sql, metrics: GaugeMetrics, logger: Logger, everyMs = 5_000): () => void {
  const refresh = () =>
    refreshQueueMetrics(sql, metrics).catch((error: Error) => logger.debug(errorLogFields(error), 'queue_metrics_failed'));
  void refresh();
  const timer = setInterval(() => void refresh(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
