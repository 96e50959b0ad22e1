import type { Writable } from 'node:stream';
import type { RemovedTransaction, Transaction } from 'plaid';
import type { Sql } from '../db/client.js';

export const STAGED_KIND = { added: 0, modified: 1, removed: 2 } as const;

// COPY's text format has no spelling for NUL (`\0` is the byte 0, which UTF-8 text refuses), so it
// is dropped, as the Plaid client already does: a value must never fail the COPY of a whole run.
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '' };
const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
const ESCAPABLE = /[\\\t\n\r\0]/g;

/** One field in COPY's text format: `\N` for null, backslash, tab and line breaks escaped, NUL dropped. */
export function copyField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return copyText(String(value));
}

/** A text field: most values need no escaping, and are returned as they are. */
function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPABLE, (c) => ESCAPES[c] ?? c) : value;
}

/**
 * One staged row per template literal (no per-field array and join): this runs for every synced
 * transaction, on the same cores as the JSON parsing and PostgreSQL. `head` is `run_id\t`.
 * String(number) is the shortest text that reads back as the same number: Plaid's decimal, no float maths.
 */
function transactionLine(head: string, seq: number, kind: number, t: Transaction): string {
  const category = t.personal_finance_category;
  return `${head}${seq}\t${kind}\t${copyText(t.transaction_id)}\t${copyText(t.account_id)}\t${copyField(t.amount)}\t${
    copyText(t.iso_currency_code)}\t${copyText(t.unofficial_currency_code)}\t${copyText(t.date)}\t${copyText(t.authorized_date)}\t${
    copyText(t.name)}\t${copyText(t.merchant_name)}\t${copyField(t.pending)}\t${copyText(t.pending_transaction_id)}\t${
    copyText(category?.primary)}\t${copyText(category?.detailed)}\t${copyText(t.payment_channel)}\n`;
}

const REMOVED_TAIL = `${'\t\\N'.repeat(12)}\n`;

function removedLine(head: string, seq: number, r: RemovedTransaction): string {
  return `${head}${seq}\t${STAGED_KIND.removed}\t${copyText(r.transaction_id)}\t${copyText(r.account_id ?? '')}${REMOVED_TAIL}`;
}

/** A page's COPY text as one buffer; pure ASCII (the usual case) is copied byte for byte instead of UTF-8 encoded. */
function encoded(text: string): Buffer {
  return Buffer.from(text, Buffer.byteLength(text) === text.length ? 'latin1' : 'utf8');
}

export interface StagedPage {
  added: readonly Transaction[];
  modified: readonly Transaction[];
  removed: readonly RemovedTransaction[];
}

/** Resolves once the stream drains, closes or fails (a failure is kept by the stager and thrown by its next call). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

/**
 * Streams a run's `/transactions/sync` pages into `sync_staged_transactions` through one COPY.
 * A page is handed to the socket and the next fetch starts while Postgres ingests it; only the
 * previous page is awaited, so memory holds at most two pages whatever the history size.
 */
export class TransactionStager {
  private flushing: Promise<unknown> | null = null;
  private failure: Error | null = null;
  private readonly head: string;

  private constructor(
    private readonly stream: Writable,
    runId: string,
    private seq: number,
  ) {
    this.head = `${copyText(runId)}\t`;
    stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
  }

  /** Opens a COPY; `firstSeq` continues the numbering of the run's earlier chunks. */
  static async open(sql: Sql, runId: string, firstSeq = 0): Promise<TransactionStager> {
    // A connection of its own for the COPY: on a pooled one, postgres.js could pipeline another
    // query onto the connection while it is in COPY mode, which PostgreSQL refuses.
    const connection = await sql.reserve();
    const copy = connection`
      copy sync_staged_transactions (
        run_id, seq, kind, transaction_id, account_id, amount, iso_currency_code, unofficial_currency_code,
        date, authorized_date, name, merchant_name, pending, pending_transaction_id, category_primary,
        category_detailed, payment_channel
      ) from stdin`;
    const refusal = refusalOf(copy);
    const stream = await copy.writable().catch((error: Error) => {
      connection.release();
      throw error;
    });
    stream.once('close', () => connection.release());
    const stager = new TransactionStager(stream, runId, firstSeq);
    void refusal.then((error) => stager.refused(error));
    return stager;
  }

  /** The server refused the COPY: the stream is destroyed, so its end and its connection are settled. */
  private refused(error: Error): void {
    this.failure ??= error;
    // Outside COPY mode the server ignores the CopyFail this sends.
    if (!this.stream.destroyed) this.stream.destroy(error);
  }

  /** The next sequence number: rows of the run staged so far, earlier chunks included. */
  get nextSeq(): number {
    return this.seq;
  }

  async write(page: StagedPage): Promise<void> {
    if (this.flushing) await this.flushing;
    this.throwIfFailed();
    const head = this.head;
    let text = '';
    for (const t of page.added) text += transactionLine(head, this.seq++, STAGED_KIND.added, t);
    for (const t of page.modified) text += transactionLine(head, this.seq++, STAGED_KIND.modified, t);
    for (const r of page.removed) text += removedLine(head, this.seq++, r);
    if (text === '') return;
    if (!this.stream.write(encoded(text))) {
      this.flushing = drained(this.stream);
    }
  }

  /** Ends the COPY; the staged rows are committed when this resolves. */
  async finish(): Promise<void> {
    this.throwIfFailed();
    const done = new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      // Called with the error when the stream is destroyed before it finished.
      this.stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
    await done;
  }

  /** Abandons the COPY: Postgres discards every row it received. */
  abort(reason: Error): void {
    if (!this.stream.destroyed) this.stream.destroy(reason);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}

/**
 * The error of a COPY the server refused. postgres.js 3.4.9 hands it only to the query's `reject`:
 * when the server reports it after the stream was ended (bad data in the last rows), neither the
 * stream nor its `end` callback ever settles, and the run would wait forever.
 */
function refusalOf(query: object): Promise<Error> {
  const pending = query as { reject?: (error: Error) => void };
  const reject = pending.reject;
  if (typeof reject !== 'function') throw new Error('postgres.js queries no longer expose reject: review the COPY refusal hook');
  return new Promise((resolve) => {
    pending.reject = (error) => {
      resolve(error);
      reject(error);
    };
  });
}

/** Staged rows of a finished run, or of runs no longer running anywhere (a crashed process's leftovers). */
export async function discardStagedRows(sql: Sql, runId: string): Promise<void> {
  await sql`delete from sync_staged_transactions where run_id = ${runId}`;
  await sql`delete from sync_staged_records where run_id = ${runId}`;
}

export async function discardOrphanedStagedRows(sql: Sql): Promise<number> {
  const orphaned = (table: string) => sql`
    delete from ${sql(table)} s
    where not exists (select 1 from sync_runs r where r.id = s.run_id and r.status = 'running')`;
  const [transactions, records] = await Promise.all([orphaned('sync_staged_transactions'), orphaned('sync_staged_records')]);
  return transactions.count + records.count;
}
