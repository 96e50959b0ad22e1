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
 * The queue gauges: unfinished due jobs by queue, and the webhook inbox (small sets, index-backed).
 * Only jobs that are due count: status checks are queued for the whole hour ahead on purpose, and a
 * job waiting for its start time is not a backlog.
 */
export async function refreshQueueGauges(sql: Sql, metrics: Pick<Metrics, 'queueDepth' | 'queueOldestJobAge'>): Promise<void> {
  const [queues, [inbox]] = await Promise.all([
    sql<{ name: string; depth: number; oldest: number | null }[]>`
      select name, count(*)::int as depth, extract(epoch from now() - min(start_after))::float8 as oldest
      from ${sql(QUEUE_SCHEMA)}.job
      where state < 'completed' and start_after <= now()
      group by name`,
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
}

/**
 * Items by status: a count over every item (its status index), so its cost grows with the table.
 * Returns how many items it counted.
 */
export async function refreshItemGauges(sql: Sql, metrics: Pick<Metrics, 'itemsByStatus'>): Promise<number> {
  const items = await sql<{ status: string; count: number }[]>`select status, count(*)::int as count from plaid_items group by status`;
  const byStatus = new Map(items.map((row) => [row.status, row.count]));
  for (const status of ITEM_STATUSES) metrics.itemsByStatus.set({ status }, byStatus.get(status) ?? 0);
  return items.reduce((sum, row) => sum + row.count, 0);
}

/**
 * The item count's cost per item, from the count alone on PostgreSQL 17 (a parallel index-only scan
 * of the status index): 1.7 ms at 10,000 items, 13 ms at 100,000, 60–80 ms at 1,000,000. Estimated
 * from the table's size rather than timed, so a busy database does not make the gauge stale.
 */
export const ITEM_COUNT_MS_PER_ITEM = 80 / 1_000_000;

/** The share of one core the item count may take on every instance. */
export const ITEM_GAUGE_SHARE = 0.01;

/** The wait before the next item count: the usual period, longer for a costly count (8 s at 1,000,000 items). */
export function nextItemRefreshMs(items: number, everyMs: number): number {
  return Math.max(everyMs, Math.round((items * ITEM_COUNT_MS_PER_ITEM) / ITEM_GAUGE_SHARE));
}

/**
 * Keeps the gauges a few seconds fresh; a failed read (database restarting) keeps the last values.
 * The item count follows on its own schedule, stretched for a large table (`nextItemRefreshMs`).
 */
export function startQueueMetrics(sql: Sql, metrics: GaugeMetrics, logger: Logger, everyMs = 5_000): () => void {
  const failed = (error: Error) => logger.debug(errorLogFields(error), 'queue_metrics_failed');
  const refresh = () => refreshQueueGauges(sql, metrics).catch(failed);
  void refresh();
  const timer = setInterval(() => void refresh(), everyMs);
  timer.unref();

  let stopped = false;
  let itemTimer: NodeJS.Timeout | undefined;
  let items = 0;
  const countItems = async () => {
    // A failed count (the database away) keeps the last size and the last values.
    items = await refreshItemGauges(sql, metrics).catch((error: Error) => {
      failed(error);
      return items;
    });
    if (stopped) return;
    itemTimer = setTimeout(() => void countItems(), nextItemRefreshMs(items, everyMs));
    itemTimer.unref();
  };
  void countItems();
  return () => {
    stopped = true;
    clearInterval(timer);
    clearTimeout(itemTimer);
  };
}
