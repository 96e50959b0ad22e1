import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { PlaidApi } from 'plaid';
import type { Database, Sql } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { AbortedError, createPlaidCaller, realTimers, type PlaidCall } from '../providers/plaid/plaid-call.js';
import type { TokenVault } from '../vault/token-vault.js';
import { abandonStaleRuns, beginRun, bookedFollowUp, readRun, requestFollowUp, runningRun, strandedFollowUps, type RunKey, type RunRow } from './run-lock.js';
import { EMPTY_COUNTS, type SkipReason, type SyncOutcome } from './sync-outcome.js';
import { executeRun, type SyncHooks } from './sync-run.js';
import type { SyncRequest } from './sync-scheduler.js';
import { discardOrphanedStagedRows } from './transaction-staging.js';
import { errorLogFields } from '../error-log-fields.js';
import { kindOfCode } from '../plaid/errors.js';

export interface SyncEngineOptions {
  db: Database;
  sql: Sql;
  plaid: PlaidApi;
  vault: TokenVault;
  logger: Logger;
  metrics: Metrics;
  /** Plaid calls under the adapter's retry policy (default: `createPlaidCaller()`). */
  call?: PlaidCall;
  /** Names this process on the run rows it holds. */
  owner?: string;
  heartbeatMs?: number;
  /** The first wait after Plaid's rate limit answered (default 2 s), doubled while no page comes between. */
  rateLimitFirstWaitMs?: number;
  /** The longest wait after Plaid's rate limit answered (default 60 s, Plaid's window). */
  rateLimitWaitMs?: number;
  /** A long first pull commits a checkpoint once its transaction has been open this long (default 20 s). */
  checkpointAfterMs?: number;
  /** A running row whose heartbeat is older than this belongs to a dead process. */
  staleAfterMs?: number;
  /** How often a caller waiting on another process's run looks at its row. */
  pollMs?: number;
  today?: () => string;
  hooks?: SyncHooks;
}

export interface SyncEngine {
  readonly owner: string;
  /** Runs the sync, or joins the run already going for the key here or in another process; never rejects. */
  run(request: SyncRequest): Promise<SyncOutcome>;
  /** Fire and forget: starts a run, joins one not yet started, or books the one follow-up. */
  request(request: SyncRequest): Promise<void>;
  /** Frees keys held by dead processes (and syncs them again); drops their staged rows. */
  recoverStaleRuns(): Promise<RunKey[]>;
  /** Resolves when no run of this engine is in flight. */
  idle(): Promise<void>;
  /** Lets runs finish for `graceMs`, then aborts them (their rows become `abandoned`). */
  stop(graceMs?: number): Promise<void>;
}

type Mode = 'wait' | 'request';

interface Slot {
  current: Promise<SyncOutcome>;
  /**
   * Set once a run is under way, here (this process holds the row) or elsewhere (this slot waits on
   * another process's row): later triggers may carry data that run has already paged past.
   */
  started: boolean;
  /** The slot's run pages from no cursor (a backfill): only such a run does what a backfill asks. */
  fromScratch: boolean;
  followUp: SyncRequest | null;
}

const skipped = (reason: SkipReason): SyncOutcome => ({ status: 'skipped', runId: null, reason });

/** Another process's finished run, as its row records it. */
function outcomeFromRow(row: RunRow): SyncOutcome {
  const counts = { pages: row.pages, added: row.added, modified: row.modified, removed: row.removed };
  const startedAt = new Date(row.started_at);
  if (row.status === 'succeeded') return { status: 'succeeded', runId: row.id, counts, changed: counts.added + counts.modified + counts.removed > 0, startedAt };
  const code = row.error_code ?? 'UNKNOWN';
  return { status: 'failed', runId: row.id, counts, error: { code, message: row.error_message ?? 'the sync failed', kind: kindOfCode(code) ?? 'fatal' }, startedAt };
}

/** One run for both: a run from scratch covers an ordinary one, so a backfill's trigger names it. */
function mergeRequests(a: SyncRequest | null, b: SyncRequest): SyncRequest {
  if (!a || (b.fromScratch && !a.fromScratch)) return { ...b };
  return { ...a, fromScratch: Boolean(a.fromScratch || b.fromScratch) };
}

export function utcToday(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * One run at a time per (item, product). Inside a process the engine keeps a slot per key: callers
 * that want a result join the current run; fire-and-forget triggers join a run that has not taken
 * its lock yet and otherwise book the single follow-up. Across processes the `running` row is the
 * lock, a trigger that finds it held books the follow-up in `sync_state`, and a waiting caller polls
 * the holder's row for its result.
 */
export function createSyncEngine(options: SyncEngineOptions): SyncEngine {
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const staleAfterMs = options.staleAfterMs ?? 60_000;
  const pollMs = options.pollMs ?? 250;
  const shutdown = new AbortController();
  const slots = new Map<string, Slot>();
  let stopping = false;
  const runDeps = {
    db: options.db,
    sql: options.sql,
    plaid: options.plaid,
    vault: options.vault,
    logger: options.logger,
    metrics: options.metrics,
    call: options.call ?? createPlaidCaller(),
    heartbeatMs: options.heartbeatMs ?? 5_000,
    rateLimitFirstWaitMs: options.rateLimitFirstWaitMs ?? 2_000,
    rateLimitWaitMs: options.rateLimitWaitMs ?? 60_000,
    checkpointAfterMs: options.checkpointAfterMs ?? 20_000,
    today: options.today ?? utcToday,
    hooks: options.hooks ?? {},
  };
  const { db } = options;
  const keyOf = (r: RunKey) => `${r.itemId}:${r.product}`;

  async function attempt(slot: Slot, request: SyncRequest, mode: Mode): Promise<SyncOutcome> {
    let waitingFor: string | null = null;
    for (;;) {
      if (shutdown.signal.aborted) return skipped('stopped');
      if (waitingFor !== null && mode === 'wait') {
        // Joined another process's run: its result is ours, unless it died (then take the key over).
        // A backfill only waits for it: that run paged on from its cursor, then this one starts over.
        const row = await readRun(db, waitingFor, staleAfterMs);
        if (row && (row.status === 'succeeded' || row.status === 'failed')) {
          if (!request.fromScratch) return outcomeFromRow(row);
          waitingFor = null;
          continue;
        }
        if (row?.status === 'running' && !row.stale) {
          await realTimers.sleep(pollMs, shutdown.signal).catch(() => undefined);
          continue;
        }
        if (row?.stale) await abandonStaleRuns(db, staleAfterMs, request);
        waitingFor = null;
      }
      const begun = await beginRun(db, request, request.trigger, owner);
      if (begun.kind === 'skipped') return skipped(begun.reason);
      if (begun.kind === 'acquired') {
        slot.started = true;
        const { runId, item, startedAt } = begun;
        const executed = await executeRun(runDeps, { ...request, runId, item, fromScratch: Boolean(request.fromScratch), signal: shutdown.signal });
        // A succeeded run read the booking in its commit; after a failure it is read here. Either
        // way it stays booked until the follow-up run starts and clears it.
        const followUp = executed.outcome.status === 'succeeded' ? executed.followUp : await bookedFollowUp(db, request);
        if (followUp) slot.followUp = mergeRequests(slot.followUp, { itemId: request.itemId, product: request.product, trigger: followUp });
        return { ...executed.outcome, startedAt };
      }
      const holder = await runningRun(db, request, staleAfterMs);
      if (!holder) continue;
      if (holder.stale) {
        await abandonStaleRuns(db, staleAfterMs, request);
        continue;
      }
      if (mode === 'request') {
        // Booked before the second try: if the holder finished in between, this process takes the
        // key itself; if not, the holder sees the booking when it finishes.
        if (waitingFor === null) {
          await requestFollowUp(db, request, request.trigger);
          waitingFor = holder.id;
          continue;
        }
        return skipped('coalesced');
      }
      waitingFor = holder.id;
      slot.started = true;
      await realTimers.sleep(pollMs, shutdown.signal).catch(() => undefined);
    }
  }

  function launch(key: string, slot: Slot, request: SyncRequest, mode: Mode): Promise<SyncOutcome> {
    slot.fromScratch = Boolean(request.fromScratch);
    const settle = attempt(slot, request, mode).catch((error: Error): SyncOutcome => {
      options.logger.error({ item_id: request.itemId, product: request.product, ...errorLogFields(error) }, 'sync_engine_error');
      return { status: 'failed', runId: null, counts: EMPTY_COUNTS, error: { code: 'INTERNAL_ERROR', message: 'the sync failed with an internal error', kind: 'internal' } };
    });
    return settle.finally(() => {
      const next = slot.followUp;
      if (next && !stopping) {
        slot.followUp = null;
        slot.started = false;
        // A follow-up that finds the key held elsewhere joins that run: it started after the trigger.
        slot.current = launch(key, slot, next, 'wait');
      } else if (slots.get(key) === slot) {
        slots.delete(key);
      }
    });
  }

  function start(request: SyncRequest, mode: Mode): Promise<SyncOutcome> {
    const key = keyOf(request);
    const slot: Slot = { current: Promise.resolve(skipped('stopped')), started: false, fromScratch: false, followUp: null };
    slots.set(key, slot);
    slot.current = launch(key, slot, request, mode);
    return slot.current;
  }

  async function run(request: SyncRequest): Promise<SyncOutcome> {
    if (stopping) return skipped('stopped');
    const slot = slots.get(keyOf(request));
    if (!slot) return start(request, 'wait');
    if (request.fromScratch && !slot.fromScratch) {
      // An ordinary run does not do what a backfill asks: it becomes the follow-up, and is joined.
      slot.followUp = mergeRequests(slot.followUp, request);
      await slot.current;
      return run(request);
    }
    const outcome = await slot.current;
    // A fire-and-forget trigger that deferred to another process has no result to share.
    return outcome.status === 'skipped' && outcome.reason === 'coalesced' ? run(request) : outcome;
  }

  function request(request: SyncRequest): Promise<void> {
    if (stopping) return Promise.resolve();
    const slot = slots.get(keyOf(request));
    if (!slot) void start(request, 'request');
    else if (slot.started || (request.fromScratch && !slot.fromScratch)) slot.followUp = mergeRequests(slot.followUp, request);
    return Promise.resolve();
  }

  return {
    owner,
    run,
    request,
    async recoverStaleRuns() {
      const freed = await abandonStaleRuns(db, staleAfterMs);
      await discardOrphanedStagedRows(options.sql);
      for (const key of freed) {
        options.logger.warn({ item_id: key.itemId, product: key.product }, 'sync_run_abandoned');
        await request({ ...key, trigger: 'recovery' });
      }
      // Bookings older than the stale window that nobody runs: the process due to run them stopped
      // between its run's commit and the follow-up's start.
      for (const booked of await strandedFollowUps(db, staleAfterMs)) {
        options.logger.warn({ item_id: booked.itemId, product: booked.product }, 'sync_follow_up_recovered');
        await request(booked);
      }
      return freed;
    },
    async idle() {
      while (slots.size > 0) await Promise.all([...slots.values()].map((slot) => slot.current));
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      const abort = () => shutdown.abort(new AbortedError('the sync engine is stopping'));
      if (graceMs <= 0) abort();
      const timer = setTimeout(abort, Math.max(0, graceMs));
      try {
        await this.idle();
      } finally {
        clearTimeout(timer);
        abort();
      }
    },
  };
}
