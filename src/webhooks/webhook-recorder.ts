import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/client.js';
import { pipelinedTransaction } from '../db/pipelined-transaction.js';
import type { WebhookOutcome } from '../db/schema/operations.js';
import type { SyncRequest } from '../sync/sync-scheduler.js';
import { PLAID_ITEM_LOCK_CLASS } from './orphan-adoption.js';
import type { WebhookAction } from './webhook-actions.js';
import type { WebhookEnqueuer } from './webhook-enqueuer.js';

/** One verified, parsed delivery, ready to be written. */
export interface Delivery {
  type: string;
  code: string;
  plaidItemId: string | null;
  sha256: string;
  /** The delivery's identity from its `Plaid-Verification` token, whatever its spelling (see `VerifiedToken`). */
  verificationSha256: string;
  /** The body as received (already known to be JSON). */
  text: string;
  action: WebhookAction;
}

export interface RecordedDelivery {
  id: string;
  status: WebhookOutcome;
  itemId: string | null;
}

export interface WebhookRecorderOptions {
  sql: Sql;
  enqueuer: WebhookEnqueuer;
  dedupeWindowSeconds: number;
  /** Transactions writing deliveries at once; further deliveries wait and go together in the next. */
  maxInFlight?: number;
  /** Deliveries per transaction at most. */
  maxBatch?: number;
}

interface Pending {
  delivery: Delivery;
  resolve: (recorded: RecordedDelivery) => void;
  reject: (error: unknown) => void;
}

interface DecidedRow {
  id: string;
  status: WebhookOutcome;
  item_id: string | null;
}

/**
 * Writes deliveries with a group commit: a delivery that arrives while `maxInFlight` transactions are
 * already writing waits for one of them, then goes with every other delivery that waited meanwhile,
 * in one transaction of a fixed number of statements. At a trickle each delivery has its own
 * transaction and waits for nothing; under a burst the commits (and their fsyncs) are shared.
 *
 * Each delivery's row and the job it asks for still commit together, and a caller's promise resolves
 * only after the commit, so an acknowledged delivery is durable. A batch that fails is retried one
 * delivery at a time, so one delivery the database refuses does not take its neighbours down with it.
 */
export class WebhookRecorder {
  private readonly pending: Pending[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;

  constructor(private readonly options: WebhookRecorderOptions) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.maxBatch = options.maxBatch ?? 128;
  }

  record(delivery: Delivery): Promise<RecordedDelivery> {
    return new Promise((resolve, reject) => {
      this.pending.push({ delivery, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight += 1;
      void this.flush(batch).finally(() => {
        this.inFlight -= 1;
        this.drain();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      const recorded = await this.write(batch.map((entry) => entry.delivery));
      batch.forEach((entry, index) => entry.resolve(recorded[index]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      await Promise.all(batch.map((entry) => this.flush([entry])));
    }
  }

  private async write(deliveries: Delivery[]): Promise<RecordedDelivery[]> {
    const { sql, enqueuer, dedupeWindowSeconds } = this.options;
    const ids = deliveries.map(() => randomUUID());
    // A copy of an earlier delivery in the same batch is decided here: the first copy's row is not
    // visible to the statement that inserts it.
    const seen = new Set<string>();
    const first = deliveries.map((delivery) => {
      if (seen.has(delivery.sha256)) return false;
      seen.add(delivery.sha256);
      return true;
    });
    const column = <T>(pick: (delivery: Delivery) => T) => deliveries.map(pick);

    // Two round trips: BEGIN, the settings, the locks and the insert together, then the jobs and COMMIT.
    const written = await pipelinedTransaction(sql, async (tx) => {
      // Two copies of one delivery in different transactions must not both see "no earlier copy":
      // each takes its bodies' locks first (in one order, so two batches cannot deadlock), and the
      // insert, sent right behind in the same round trip, runs with a snapshot taken after the locks,
      // so it sees a copy committed by whoever held a lock before. The insert's plan is kept
      // (generic): planned anew for every batch, its planning took longer than running it. A kept
      // plan is made once per connection, at whatever size webhook_events has then: made while the
      // table was small (or analyzed empty), a join reading the whole table would stay the plan while
      // the table grows; on a small table the planner also picks a scan, or another index on
      // received_at, over the dedupe index. So the lookup of earlier copies is a lateral probe per
      // delivery that only webhook_events_dedupe_idx can serve, and sequential scans are off for
      // this transaction: the probe stays on that index whatever the statistics said when planned.
      // Then each item id's lock, shared (deliveries never wait for each other on it): an exchange
      // storing that item waits for this batch, so a delivery recorded `orphan` here is committed
      // before the exchange looks for orphans to adopt (see `orphan-adoption.ts`). Taken after the
      // body locks, so a batch holding it never waits for another lock.
      const [, , , decided] = await Promise.all([
        tx`select set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true)`,
        tx`select count(pg_advisory_xact_lock(key))
          from (select distinct hashtextextended(sha, 0) as key from unnest(${column((d) => d.sha256)}::text[]) as sha order by 1) as locks`,
        tx`select count(pg_advisory_xact_lock_shared(${PLAID_ITEM_LOCK_CLASS}::int, hashtext(id)))
          from (select distinct id from unnest(${column((d) => d.plaidItemId)}::text[]) as id where id is not null) as items`,
        tx<DecidedRow[]>`
        with input as (
          select * from unnest(
            ${ids}::uuid[], ${column((d) => d.type)}::text[], ${column((d) => d.code)}::text[],
            ${column((d) => d.plaidItemId)}::text[], ${column((d) => d.sha256)}::text[], ${column((d) => d.verificationSha256)}::text[],
            ${column((d) => d.text)}::text[],
            ${column((d) => d.action.kind)}::text[], ${column((d) => (d.action.kind === 'sync' ? d.action.product : null))}::text[],
            ${first.map(String)}::text[]::boolean[]
          ) as input(id, webhook_type, webhook_code, plaid_item_id, body_sha256, verification_sha256, body, action, product, first)
        ),
        decided as (
          select input.*, item.id as item_id,
            case
              when not input.first then 'duplicate'
              -- The very same signed delivery again (a redelivery, a replay inside the token's lifetime).
              when earlier.same_delivery then 'duplicate'
              -- Another delivery of the same body (same_delivery is null only when there is none):
              -- for an item webhook, the same event.
              when input.action <> 'sync' and earlier.same_delivery is not null then 'duplicate'
              -- A sync webhook's body is the same for every change, so another delivery of it may
              -- announce a change nothing has fetched yet: it is processed, and the queue absorbs its
              -- job while one for the same item and product is still waiting.
              when input.action = 'none' then 'ignored'
              when item.id is null then 'orphan'
              when item.status = 'disconnected' then 'ignored'
              when input.action = 'sync' then 'processed'
              else 'received'
            end as status
          from input left join plaid_items item on item.plaid_item_id = input.plaid_item_id
          -- One probe of webhook_events_dedupe_idx per delivery (see above for why it is forced).
          cross join lateral (
            select bool_or(earlier.verification_sha256 = input.verification_sha256) as same_delivery
            from webhook_events earlier
            where earlier.plaid_item_id = input.plaid_item_id and earlier.webhook_type = input.webhook_type
              and earlier.webhook_code = input.webhook_code and earlier.body_sha256 = input.body_sha256
              -- Given the equalities, this is received_at > now() - window; as a row comparison in
              -- the index's column order, no other index of the table can serve it.
              and (earlier.plaid_item_id, earlier.webhook_type, earlier.webhook_code, earlier.body_sha256, earlier.received_at)
                > (input.plaid_item_id, input.webhook_type, input.webhook_code, input.body_sha256, now() - make_interval(secs => ${dedupeWindowSeconds}))
          ) as earlier
        )
        insert into webhook_events (id, webhook_type, webhook_code, plaid_item_id, item_id, body, body_sha256, verification_sha256, status, processed_at)
        select id, webhook_type, webhook_code, plaid_item_id, item_id, body::jsonb, body_sha256, verification_sha256, status,
          case when status = 'received' then null else now() end
        from decided
        returning id, status, item_id`,
      ]);

      const byId = new Map(decided.map((row) => [row.id, row]));
      const recorded = ids.map((id): RecordedDelivery => {
        const row = byId.get(id)!;
        return { id, status: row.status, itemId: row.item_id };
      });
      const syncs = new Map<string, SyncRequest>();
      const itemEvents: string[] = [];
      recorded.forEach((row, index) => {
        const action = deliveries[index]!.action;
        if (row.status === 'processed' && action.kind === 'sync' && row.itemId) {
          syncs.set(`${row.itemId}:${action.product}`, { itemId: row.itemId, product: action.product, trigger: 'webhook' });
        } else if (row.status === 'received') {
          itemEvents.push(row.id);
        }
      });
      // The job statements are handed to the connection here and postgres.js sends the COMMIT right
      // behind them as soon as this callback returns: jobs and commit in one round trip. A failing
      // job statement aborts the transaction, so PostgreSQL answers that COMMIT with a rollback and
      // nothing of the batch is kept; its error is thrown below (see `WebhookEnqueuer`).
      const jobs = Promise.all([
        syncs.size > 0 ? enqueuer.enqueueSyncs(tx, [...syncs.values()]) : undefined,
        itemEvents.length > 0 ? enqueuer.enqueueItemEvents(tx, itemEvents) : undefined,
      ]).then(
        () => undefined,
        (error: unknown) => ({ error }),
      );
      return { recorded, jobs };
    });
    const failed = await written.jobs;
    if (failed) throw failed.error;
    return written.recorded;
  }
}
