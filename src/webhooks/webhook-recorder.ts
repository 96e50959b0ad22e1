import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/client.js';
import type { WebhookOutcome } from '../db/schema/operations.js';
import { PLAID_ITEM_LOCK_CLASS } from './orphan-adoption.js';
import type { IntakeBursts } from './intake-pressure.js';
import type { WebhookAction } from './webhook-actions.js';

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
  dedupeWindowSeconds: number;
  /** Batches being written at once; further deliveries wait and go together in the next. */
  maxInFlight?: number;
  /** Deliveries per batch at most. */
  maxBatch?: number;
  /** Told each batch's size: batches of several deliveries mean a burst (the workers yield to it, the dispatcher hurries). */
  bursts?: Pick<IntakeBursts, 'batchFormed'>;
  /** Counts the deliveries held here, waiting for a batch or being written (`plaid_webhook_intake_backlog`). */
  backlog?: { inc(count: number): void; dec(count: number): void };
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
 * in one statement (its own transaction). At a trickle each delivery has its own statement and waits
 * for nothing; under a burst the commits (and their fsyncs) are shared.
 *
 * A batch is one statement: each delivery's `webhook_events` row and, when it asks for a job, its
 * `webhook_dispatch` row commit together, and a caller's promise resolves only after the commit, so an
 * acknowledged delivery is durable. The jobs are made after the commit by `WebhookDispatcher`. A batch
 * that fails is retried one delivery at a time, so one delivery the database refuses does not take
 * its neighbours down with it.
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
      this.options.backlog?.inc(1);
      this.pending.push({ delivery, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.options.bursts?.batchFormed(batch.length);
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
      this.options.backlog?.dec(batch.length);
      batch.forEach((entry, index) => entry.resolve(recorded[index]!));
    } catch (error) {
      if (batch.length === 1) {
        this.options.backlog?.dec(1);
        batch[0]!.reject(error);
        return;
      }
      await Promise.all(batch.map((entry) => this.flush([entry])));
    }
  }

  private async write(deliveries: Delivery[]): Promise<RecordedDelivery[]> {
    const { sql, dedupeWindowSeconds } = this.options;
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
    // One autocommit statement (drizzle/0021_record_webhook_batch.sql): the locks, the deciding
    // insert and the dispatch rows in one round trip, resolved after its implicit COMMIT.
    const decided = await sql<DecidedRow[]>`
      select id, status, item_id from record_webhook_batch(
        ${ids}::uuid[], ${column((d) => d.type)}::text[], ${column((d) => d.code)}::text[],
        ${column((d) => d.plaidItemId)}::text[], ${column((d) => d.sha256)}::text[], ${column((d) => d.verificationSha256)}::text[],
        ${column((d) => d.text)}::text[],
        ${column((d) => d.action.kind)}::text[], ${column((d) => (d.action.kind === 'sync' ? d.action.product : null))}::text[],
        ${first.map(String)}::text[]::boolean[],
        ${dedupeWindowSeconds}::float8, ${PLAID_ITEM_LOCK_CLASS}::int)`;
    const byId = new Map(decided.map((row) => [row.id, row]));
    return ids.map((id): RecordedDelivery => {
      const row = byId.get(id)!;
      return { id, status: row.status, itemId: row.item_id };
    });
  }
}
