import type { Logger } from '../logger.js';
import type { SyncEngine } from './sync-engine.js';
import type { SyncOutcome } from './sync-outcome.js';
import type { SyncRequest, SyncScheduler } from './sync-scheduler.js';
import { errorLogFields } from '../error-log-fields.js';

export interface InProcessSchedulerOptions {
  engine: SyncEngine;
  logger: Logger;
  /** How often runs left by dead processes are looked for and synced again (default 30 s). */
  recoverEveryMs?: number;
}

export interface RunningScheduler extends SyncScheduler {
  run(request: SyncRequest): Promise<SyncOutcome>;
  /** Stops recovery, lets runs finish for `graceMs`, then aborts what is left. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs syncs in this process, straight through the engine (which keeps one run per item and product
 * across processes). A queue-backed scheduler can replace it without touching callers: both offer
 * `request` and `run`.
 */
export function createInProcessScheduler(options: InProcessSchedulerOptions): RunningScheduler {
  const { engine, logger } = options;
  const recover = () =>
    engine.recoverStaleRuns().then(
      () => undefined,
      (error: Error) => logger.warn(errorLogFields(error), 'sync_recovery_failed'),
    );
  void recover();
  const timer = setInterval(() => void recover(), options.recoverEveryMs ?? 30_000);
  timer.unref();
  return {
    request: (request) => engine.request(request),
    run: (request) => engine.run(request),
    async stop(graceMs) {
      clearInterval(timer);
      await engine.stop(graceMs);
    },
  };
}
