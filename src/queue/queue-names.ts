import type PgBoss from 'pg-boss';
import { PRODUCTS, type Product } from '../db/schema/products.js';
import { REGISTRY } from '../plaid/products/registry.js';

/** Jobs that exhausted their retries land here, kept for inspection (and counted in the queue metrics). */
export const DEAD_LETTER_QUEUE = 'dead-letter';
export const WEBHOOK_EVENT_QUEUE = 'webhook-events';
export const STATUS_CHECK_QUEUE = 'item-status-check';
export const STATUS_TICK_QUEUE = 'status-check-tick';
/** The daily prune of changes older than CHANGE_FEED_RETENTION_DAYS. */
export const CHANGE_FEED_PRUNE_QUEUE = 'change-feed-prune';
/** 03:17 UTC: away from the top of the hour, where the status-check tick runs. */
export const CHANGE_FEED_PRUNE_CRON = '17 3 * * *';

/** Notifications to the app; their retry schedule comes from APP_WEBHOOK_* on each job. */
export const APP_WEBHOOK_QUEUE = 'app-webhook-delivery';

/** Each product's sync queue, as its `REGISTRY` entry names it. */
export const SYNC_QUEUES: Readonly<Record<Product, string>> = Object.fromEntries(PRODUCTS.map((product) => [product, REGISTRY[product].queue])) as Record<Product, string>;

export function syncQueueFor(product: Product): string {
  return SYNC_QUEUES[product];
}

/**
 * Queue options. `short` keeps at most one *waiting* job per singleton key: a request for an
 * (item, product) already waiting is absorbed by it, while one that arrives during a run queues the
 * single follow-up the run may have missed.
 */
const retried = { retryLimit: 3, retryDelay: 30, retryBackoff: true, deadLetter: DEAD_LETTER_QUEUE } as const;

export const QUEUE_DEFINITIONS: readonly (PgBoss.Queue & { name: string })[] = [
  { name: DEAD_LETTER_QUEUE, policy: 'standard', retentionDays: 14 },
  ...Object.values(SYNC_QUEUES).map((name) => ({ name, policy: 'short' as const, expireInSeconds: 30 * 60, ...retried })),
  // Item webhooks are a few statements: a job still active after a minute belonged to a dead process.
  { name: WEBHOOK_EVENT_QUEUE, policy: 'standard', expireInSeconds: 60, ...retried, retryDelay: 5 },
  { name: STATUS_CHECK_QUEUE, policy: 'short', expireInSeconds: 5 * 60, ...retried },
  { name: STATUS_TICK_QUEUE, policy: 'short', expireInSeconds: 15 * 60, ...retried },
  { name: CHANGE_FEED_PRUNE_QUEUE, policy: 'short', expireInSeconds: 30 * 60, ...retried },
  // An attempt lasts at most APP_WEBHOOK_TIMEOUT_MS: one active for two minutes belonged to a dead process.
  { name: APP_WEBHOOK_QUEUE, policy: 'standard', expireInSeconds: 120, retryLimit: 12, retryDelay: 60, retryBackoff: true },
];

export const ALL_QUEUES = QUEUE_DEFINITIONS.map((queue) => queue.name);
