import type { Sql } from '../db/client.js';
import { pipelinedTransaction } from '../db/pipelined-transaction.js';
import { isProduct } from '../db/schema/products.js';
import { errorLogFields } from '../error-log-fields.js';
import type { Logger } from '../logger.js';
import type { SyncRequest } from '../sync/sync-scheduler.js';
import type { IntakeBursts } from './intake-pressure.js';
import type { WebhookEnqueuer } from './webhook-enqueuer.js';

/** Inbox rows one dispatch transaction takes at most. */
export const DISPATCH_BATCH = 1_000;

/** How long the intake's dispatcher gathers webhooks before a dispatch that starts from idle (see `gathered`). */
export const DISPATCH_GATHER_MS = 10;

interface DispatchRow {
  seq: string;
  event_id: string;
  item_id: string;
  job: string;
}

export interface DispatchDeps {
  sql: Sql;
  queue: WebhookEnqueuer;
  logger: Pick<Logger, 'warn'>;
}

/**
 * Turns up to `limit` `webhook_dispatch` rows (written by the intake with their webhooks) into jobs,
 * in one transaction: the rows are deleted and their jobs inserted together, so a crash or a failed
 * job statement leaves the rows for the next dispatch, and a committed dispatch leaves no row to make
 * a job twice. `skip locked`: instances dispatching at once take disjoint rows, none waits for
 * another. Sync requests are coalesced per (item, product) (the queue also absorbs one whose key
 * still waits); item webhooks become one job each, made in the order they arrived. Returns how many
 * rows were taken; the caller wakes the workers.
 */
export async function dispatchWebhookBatch(deps: DispatchDeps, limit = DISPATCH_BATCH): Promise<number> {
  return pipelinedTransaction(deps.sql, async (tx) => {
    const rows = await tx<DispatchRow[]>`
      delete from webhook_dispatch where seq in (
        select seq from webhook_dispatch order by seq limit ${limit} for update skip locked)
      returning seq::text, event_id, item_id, job`;
    if (rows.length === 0) return 0;
    rows.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
    const syncs = new Map<string, SyncRequest>();
    const itemEvents: string[] = [];
    for (const row of rows) {
      if (row.job === 'item') itemEvents.push(row.event_id);
      else if (isProduct(row.job)) syncs.set(`${row.item_id}:${row.job}`, { itemId: row.item_id, product: row.job, trigger: 'webhook' });
      // A product this release no longer syncs: its row goes, rather than block every dispatch behind it.
      else deps.logger.warn({ eventId: row.event_id, job: row.job }, 'webhook_dispatch_unknown_job');
    }
    await Promise.all([
      syncs.size > 0 ? deps.queue.enqueueSyncs(tx, [...syncs.values()]) : undefined,
      itemEvents.length > 0 ? deps.queue.enqueueItemEvents(tx, itemEvents) : undefined,
    ]);
    return rows.length;
  });
}

/** Dispatches until the inbox is empty (as far as this instance can take rows); returns how many. */
export async function dispatchPendingWebhooks(deps: DispatchDeps, limit = DISPATCH_BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    const taken = await dispatchWebhookBatch(deps, limit);
    total += taken;
    if (taken > 0) deps.queue.notify();
    if (taken < limit) return total;
  }
}

/**
 * The intake's dispatcher: woken after each commit that wrote inbox rows, it runs one dispatch at a
 * time and goes again if woken meanwhile, so a burst's rows are taken in a few large transactions
 * while the acknowledgements never wait for them. A dispatch that fails is tried again once after
 * `retryAfterMs`; rows still left (this process died, or the database stayed away) are taken by the
 * periodic sweep of any instance (`dispatchPendingWebhooks` in the queue service's recovery).
 */
export class WebhookDispatcher {
  private running: Promise<void> | undefined;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly deps: DispatchDeps,
    private readonly options: {
      limit?: number;
      retryAfterMs?: number;
      gatherMs?: number;
      /** The intake is under a burst (`IntakeBursts`); given, a dispatch woken during another gathers too, outside a burst. */
      inBurst?: () => boolean;
    } = {},
  ) {}

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.gathered()
      .then(() => this.loop())
      .finally(() => {
        this.running = undefined;
      });
  }

  /**
   * A dispatch that starts at the first wake after a quiet spell waits `gatherMs` first, so that at
   * a steady trickle one transaction (and one job statement) serves the few webhooks of that moment
   * rather than each its own; the acknowledgements never wait for it.
   */
  private gathered(): Promise<void> {
    const ms = this.options.gatherMs ?? 0;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }

  /** Resolves once no dispatch is running (nor asked for by a wake during one). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * At shutdown, after the requests drained and before the pools close: the dispatch under way
   * finishes, no retry or wake starts another. Rows still in the inbox are the next sweep's.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.again = false;
    await this.settled();
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.again = false;
      try {
        await dispatchPendingWebhooks(this.deps, this.options.limit);
      } catch (error) {
        this.deps.logger.warn(errorLogFields(error), 'webhook_dispatch_failed');
        if (!this.retry) {
          this.retry = setTimeout(() => {
            this.retry = undefined;
            this.wake();
          }, this.options.retryAfterMs ?? 1_000);
          this.retry.unref();
        }
        return;
      }
      if (!this.again || this.stopped) return;
      // Woken during that dispatch. At a trickle (500/s) the next one would carry one or two webhooks:
      // it gathers first, as from idle. In a burst it goes at once (gathering there slowed the
      // acknowledgements: docs/performance.md, "Gathering after every dispatch").
      const { inBurst } = this.options;
      if (inBurst && !inBurst()) {
        await this.gathered();
        if (this.stopped) return;
      }
    }
  }
}

/**
 * The intake's dispatcher as the service runs it: a 10 ms gather from idle (see `gathered`), and, told
 * of the intake's bursts, between dispatches outside a burst.
 */
export function createWebhookDispatcher(deps: DispatchDeps, bursts?: Pick<IntakeBursts, 'busy'>): WebhookDispatcher {
  return new WebhookDispatcher(
    { sql: deps.sql, queue: deps.queue, logger: deps.logger },
    { gatherMs: DISPATCH_GATHER_MS, ...(bursts ? { inBurst: () => bursts.busy() } : {}) },
  );
}
