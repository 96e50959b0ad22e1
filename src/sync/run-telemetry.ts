import type { Product } from '../db/schema/products.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SyncOutcome } from './sync-outcome.js';
import type { SyncTrigger } from './sync-scheduler.js';

export interface FinishedRun {
  itemId: string;
  product: Product;
  trigger: SyncTrigger;
  durationMs: number;
  outcome: Extract<SyncOutcome, { status: 'succeeded' | 'failed' }>;
  /** Every Plaid error code the run saw, retried ones included. */
  plaidErrors: readonly string[];
}

/**
 * The run's contract telemetry: `sync_latency_seconds{product,trigger,outcome}`,
 * `sync_error_total{product,error_code}` (every Plaid error seen plus a final non-Plaid failure),
 * `sync_complete_total{product}`, and the `sync_complete` / `sync_failed` log lines.
 */
export function recordRun(metrics: Metrics, logger: Logger, run: FinishedRun): void {
  const { product, trigger, outcome } = run;
  metrics.syncLatency.observe({ product, trigger, outcome: outcome.status }, run.durationMs / 1000);
  for (const code of run.plaidErrors) metrics.syncErrors.inc({ product, error_code: code });
  const fields = {
    product,
    item_id: run.itemId,
    run_id: outcome.runId,
    trigger,
    pages: outcome.counts.pages,
    added: outcome.counts.added,
    modified: outcome.counts.modified,
    removed: outcome.counts.removed,
    durationMs: Math.round(run.durationMs),
  };
  if (outcome.status === 'succeeded') {
    metrics.syncComplete.inc({ product });
    logger.info(fields, 'sync_complete');
    return;
  }
  if (outcome.error.kind === 'internal' && !run.plaidErrors.includes(outcome.error.code)) {
    metrics.syncErrors.inc({ product, error_code: outcome.error.code });
  }
  logger.warn({ ...fields, error_code: outcome.error.code, error_message: outcome.error.message }, 'sync_failed');
}
