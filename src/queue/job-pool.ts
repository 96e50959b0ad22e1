import type PgBoss from 'pg-boss';
import type { Logger } from '../logger.js';

export type JobHandler<T = object> = (job: PgBoss.JobWithMetadata<T>, signal: AbortSignal) => Promise<object | undefined>;

export interface PooledQueue {
  name: string;
  handler: JobHandler<never>;
}

export interface JobPoolOptions {
  concurrency: number;
  pollIntervalMs: number;
  logger: Logger;
  queues: readonly PooledQueue[];
}

interface RunningJob {
  queue: string;
  id: string;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs jobs from several queues with one concurrency limit for the instance. pg-boss's `work()`
 * polls each queue with its own loop and limit; one pool makes `WORKER_CONCURRENCY` mean "jobs at
 * once" whatever the mix of products, and lets a local enqueue wake the loop at once instead of
 * waiting for the next poll.
 */
export class JobPool {
  private readonly running = new Map<string, RunningJob>();
  private stopping = false;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private rotation = 0;
  /** Queues named by `notify` since the last look; empty means "look at all of them". */
  private readonly hinted = new Set<string>();
  private woken = false;

  constructor(
    private readonly boss: PgBoss,
    private readonly options: JobPoolOptions,
  ) {}

  start(): void {
    this.loopDone ??= this.loop();
  }

  /**
   * Something was enqueued: look now rather than at the next poll. Naming the queue lets a burst of
   * webhooks cost one fetch each instead of a look at every queue.
   */
  notify(queue?: string): void {
    if (queue === undefined) this.hinted.clear();
    else if (!this.woken || this.hinted.size > 0) this.hinted.add(queue);
    this.woken = true;
    this.wake?.();
  }

  get activeCount(): number {
    return this.running.size;
  }

  /**
   * Stops taking jobs and lets the running ones finish within `timeoutMs`; any still running then is
   * aborted (`abortRunning` stops work the handlers do not own) and failed back to its queue, where
   * it is retried (by another instance if this one is gone).
   */
  async stop(timeoutMs: number, abortRunning?: () => Promise<void>): Promise<void> {
    this.stopping = true;
    this.notify();
    await this.loopDone;
    const all = Promise.allSettled([...this.running.values()].map((job) => job.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const result = await Promise.race([all.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (result === 'done') return;
    const left = [...this.running.values()];
    for (const job of left) job.controller.abort(new Error('shutting down'));
    await abortRunning?.().catch(() => undefined);
    await Promise.allSettled(
      left.map((job) => this.boss.fail(job.queue, job.id, { message: 'released on shutdown' }).catch(() => undefined)),
    );
  }

  private async loop(): Promise<void> {
    const { queues, concurrency, pollIntervalMs, logger } = this.options;
    while (!this.stopping) {
      let fetched = 0;
      const only = this.woken && this.hinted.size > 0 ? new Set(this.hinted) : null;
      this.hinted.clear();
      this.woken = false;
      try {
        for (let i = 0; i < queues.length && !this.stopping; i++) {
          const free = concurrency - this.running.size;
          if (free <= 0) break;
          const queue = queues[(this.rotation + i) % queues.length]!;
          if (only && !only.has(queue.name)) continue;
          const jobs = await this.boss.fetch<never>(queue.name, { batchSize: free, includeMetadata: true });
          for (const job of jobs) this.run(queue, job);
          fetched += jobs.length;
        }
        this.rotation = (this.rotation + 1) % queues.length;
      } catch (error) {
        logger.warn({ err: { message: (error as Error).message } }, 'queue_fetch_failed');
      }
      if (this.stopping) break;
      // Full: wait for a slot. Idle, or woken for a queue now drained: wait for a poll or a local
      // enqueue. Busy with room after a full look: go again.
      if (fetched === 0 || this.running.size >= concurrency || only) await this.sleep(pollIntervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    // A notify that came while the loop was fetching is not lost.
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private run(queue: PooledQueue, job: PgBoss.JobWithMetadata<never>): void {
    const controller = new AbortController();
    const done = (async () => {
      try {
        const output = await queue.handler(job, controller.signal);
        if (!controller.signal.aborted) await this.boss.complete(queue.name, job.id, output ?? {});
      } catch (error) {
        const message = error instanceof Error ? error.message : 'job failed';
        this.options.logger.warn({ queue: queue.name, jobId: job.id, retryCount: job.retryCount, err: { message } }, 'job_failed');
        if (!controller.signal.aborted) await this.boss.fail(queue.name, job.id, { message });
      }
    })()
      .catch((error: Error) => this.options.logger.error({ queue: queue.name, jobId: job.id, err: { message: error.message } }, 'job_state_update_failed'))
      .finally(() => {
        this.running.delete(job.id);
        // A slot is free: look at every queue, a job may be waiting in any of them.
        this.notify();
      });
    this.running.set(job.id, { queue: queue.name, id: job.id, controller, done });
  }
}
