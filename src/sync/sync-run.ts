import { sql } from 'drizzle-orm';
import type { PlaidApi } from 'plaid';
import type { Database, Sql } from '../db/client.js';
import type { ItemStatus, Product } from '../db/schema/products.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Checkpoint, ProductSyncContext } from '../plaid/products/registry-entry.js';
import { REGISTRY } from '../plaid/products/registry.js';
import { backoffDelay, realTimers, type PlaidCall } from '../providers/plaid/plaid-call.js';
import { markItemActive, type Executor } from '../services/item-status.js';
import type { TokenVault } from '../vault/token-vault.js';
import { ItemDisconnectedError, RunFencedError, describeFailure, recordFailure } from './run-failure.js';
import { checkpointRun, finishRunSeeingFollowUp, heartbeat, markRateLimited, type RunItem } from './run-lock.js';
import { recordRun } from './run-telemetry.js';
import type { SyncCounts, SyncOutcome } from './sync-outcome.js';
import type { SyncTrigger } from './sync-scheduler.js';
import { discardStagedRows } from './transaction-staging.js';
import { errorLogFields } from '../error-log-fields.js';

export interface RunPoint {
  runId: string;
  itemId: string;
  product: Product;
}

/**
 * Points where tests stop a run the way a crash would (a hook that throws, or that kills the
 * database connections first): after each fetched page, and inside the commit after the writes.
 */
export interface SyncHooks {
  afterPage?(point: RunPoint & { page: number }): void | Promise<void>;
  /** Inside every commit after its writes; `checkpoint` for a long run's intermediate commits. */
  beforeCommit?(point: RunPoint & { checkpoint: boolean }): void | Promise<void>;
  /** When a run starts waiting for Plaid's rate limit window (its row already says so). */
  rateLimited?(point: RunPoint & { pages: number }): void | Promise<void>;
}

export interface RunDeps {
  db: Database;
  sql: Sql;
  plaid: PlaidApi;
  vault: TokenVault;
  logger: Logger;
  metrics: Metrics;
  call: PlaidCall;
  heartbeatMs: number;
  /** The first wait after a rate-limited call (doubling while no page comes), and the longest: Plaid's window. */
  rateLimitFirstWaitMs: number;
  rateLimitWaitMs: number;
  checkpointAfterMs: number;
  today: () => string;
  hooks: SyncHooks;
}

export interface AcquiredRun {
  runId: string;
  /** The item as the statement that took the lock read it. */
  item: RunItem;
  itemId: string;
  product: Product;
  trigger: SyncTrigger;
  fromScratch: boolean;
  signal: AbortSignal;
}

/** The guard of every commit: the item row locked until the commit, and a disconnected item never written. */
async function lockLiveItem(tx: Executor, itemId: string): Promise<{ status: ItemStatus; errored: boolean }> {
  const rows = await tx.execute<{ status: ItemStatus; errored: boolean }>(
    sql`select status, error_code is not null as errored from plaid_items where id = ${itemId} for update`,
  );
  const row = rows[0];
  if (row === undefined || row.status === 'disconnected') throw new ItemDisconnectedError('the item is disconnected');
  return row;
}

function isCheckpoint(result: SyncCounts | Checkpoint): result is Checkpoint {
  return 'checkpoint' in result;
}

function countsOf(result: SyncCounts | Checkpoint): SyncCounts {
  return isCheckpoint(result) ? result.checkpoint : result;
}

export interface ExecutedRun {
  outcome: Extract<SyncOutcome, { status: 'succeeded' | 'failed' }>;
  /** A follow-up booked by another process, taken in the commit of a succeeded run (null otherwise). */
  followUp: SyncTrigger | null;
}

/** Executes a run whose `running` row this process holds, and finishes that row whatever happens. */
export async function executeRun(deps: RunDeps, run: AcquiredRun): Promise<ExecutedRun> {
  const startedAt = performance.now();
  const key = { itemId: run.itemId, product: run.product };
  const point: RunPoint = { runId: run.runId, ...key };
  const plaidErrors: string[] = [];
  let pages = 0;
  let partial: SyncCounts = { pages: 0, added: 0, modified: 0, removed: 0 };
  let followUp: SyncTrigger | null = null;
  let staged = false;
  const controller = new AbortController();
  const signal = AbortSignal.any([controller.signal, run.signal]);
  const beat = setInterval(() => {
    heartbeat(deps.db, run.runId, pages).then(
      (alive) => alive || controller.abort(new RunFencedError('run abandoned')),
      (error: Error) => deps.logger.warn({ run_id: run.runId, ...errorLogFields(error) }, 'sync_heartbeat_failed'),
    );
  }, deps.heartbeatMs);
  beat.unref();

  let outcome: Extract<SyncOutcome, { status: 'succeeded' | 'failed' }>;
  try {
    const { item } = run;
    const accessToken = deps.vault.decrypt({ keyId: item.accessTokenKeyId, ciphertext: item.accessTokenCiphertext }, item.plaidItemId);
    const ctx: ProductSyncContext = {
      db: deps.db,
      sql: deps.sql,
      plaid: deps.plaid,
      item: { id: item.id, userId: item.userId, plaidItemId: item.plaidItemId, status: item.status, transactionsCursor: item.transactionsCursor, transactionsCursorPartial: item.transactionsCursorPartial },
      accessToken,
      runId: run.runId,
      fromScratch: run.fromScratch,
      signal,
      today: deps.today,
      call: (endpoint, request, options) => deps.call(endpoint, request, { ...options, signal, onError: (error) => plaidErrors.push(error.code) }),
      checkpointAfterMs: deps.checkpointAfterMs,
      waitForRateLimit: async (idle) => {
        const waitMs = backoffDelay(
          { maxAttempts: Infinity, baseDelayMs: 0, rateLimitDelayMs: deps.rateLimitFirstWaitMs, maxDelayMs: deps.rateLimitWaitMs }, idle, true, Math.random,
        );
        await markRateLimited(deps.db, run.runId, waitMs);
        try {
          await deps.hooks.rateLimited?.({ ...point, pages });
          await realTimers.sleep(waitMs, signal);
        } finally {
          await markRateLimited(deps.db, run.runId, null).catch(() => undefined);
        }
      },
      pageFetched: async (page) => {
        pages = page;
        partial = { ...partial, pages: page };
        await deps.hooks.afterPage?.({ ...point, page });
        if (signal.aborted) throw signal.reason;
      },
      staging: () => {
        staged = true;
      },
      commit: <R extends SyncCounts | Checkpoint>(apply: (tx: Executor) => Promise<R>, prepare?: (tx: Executor) => Promise<void>) =>
        deps.db.transaction(async (tx): Promise<R> => {
          if (prepare) await prepare(tx);
          // Locked only now, so a long prepare never holds the item row that status changes update.
          // The lock and the first write are sent together (one round trip); Postgres still runs
          // them in order, so the item row is locked before any account row, and a disconnected
          // item's writes are rolled back with the rest.
          const [locked, applied] = await Promise.allSettled([lockLiveItem(tx, run.itemId), apply(tx)]);
          if (locked.status === 'rejected') throw locked.reason;
          if (applied.status === 'rejected') throw applied.reason;
          const result = applied.value;
          if (isCheckpoint(result)) {
            await deps.hooks.beforeCommit?.({ ...point, checkpoint: true });
            if (!(await checkpointRun(tx, run.runId, result.checkpoint))) throw new RunFencedError('run abandoned');
            if (locked.value.status === 'needs_reauth' || locked.value.errored) await markItemActive(tx, run.itemId);
            partial = result.checkpoint;
            return result;
          }
          const counts = countsOf(result);
          await deps.hooks.beforeCommit?.({ ...point, checkpoint: false });
          const finished = await finishRunSeeingFollowUp(tx, run.runId, key, counts);
          if (!finished.finished) throw new RunFencedError('run abandoned');
          // A clean sync proves the login (or whatever error was recorded) works again.
          if (locked.value.status === 'needs_reauth' || locked.value.errored) await markItemActive(tx, run.itemId);
          followUp = finished.followUp;
          return result;
        }),
    };
    const counts = await REGISTRY[run.product].sync(ctx);
    outcome = { status: 'succeeded', runId: run.runId, counts, changed: counts.added + counts.modified + counts.removed > 0 };
  } catch (error) {
    const failure = describeFailure(signal.aborted ? signal.reason : error);
    if (failure.code === 'INTERNAL_ERROR') deps.logger.error({ run_id: run.runId, ...errorLogFields(error) }, 'sync_internal_error');
    outcome = { status: 'failed', runId: run.runId, counts: partial, error: failure };
    if (failure.code !== 'RUN_ABANDONED') {
      await recordFailure(deps.db, run.runId, key, failure, partial).catch((recordError: Error) =>
        deps.logger.error({ run_id: run.runId, ...errorLogFields(recordError) }, 'sync_failure_not_recorded'),
      );
    }
  } finally {
    clearInterval(beat);
  }
  // Staged rows are scratch space: after the commit (or the failure) they only cost space. A run
  // that wrote directly (one page) has none; a failed one may have staged before it said so.
  if (staged || outcome.status === 'failed') await discardStagedRows(deps.sql, run.runId).catch(() => undefined);
  recordRun(deps.metrics, deps.logger, { itemId: run.itemId, product: run.product, trigger: run.trigger, durationMs: performance.now() - startedAt, outcome, plaidErrors });
  return { outcome, followUp };
}
