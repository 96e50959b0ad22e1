import type PgBoss from 'pg-boss';
import type { Logger } from '../logger.js';
import { CompletionBatcher } from './job-completions.js';
import { errorLogFields, errorSummary } from '../error-log-fields.js';

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
  /**
   * While this says so, the pool takes no new jobs (running ones go on) and looks again after
   * `recheckMs`: the instance's webhook intake is under a burst (`IntakePressure`).
   */
  yieldTo?: { shouldYield(): boolean; readonly recheckMs: number };
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
  /**
   * Queues whose last fetch came back short: nothing more is waiting there as far as this instance
   * knows. A freed slot does not look at them again (a look is a statement per queue); a local
   * enqueue (`notify`) or the poll (jobs of other instances, retries coming due) does.
   */
  private readonly drained = new Set<string>();
  private fullLook = true;
  private lastFullLook = 0;
  private woken = false;
  private readonly completions: CompletionBatcher;

  constructor(
    private readonly boss: PgBoss,
    private readonly options: JobPoolOptions,
  ) {
    this.completions = new CompletionBatcher(boss);
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  /**
   * Something was enqueued: look now rather than at the next poll. Naming the queue lets a burst of
   * webhooks cost one fetch each instead of a look at every queue.
   */
  notify(queue?: string): void {
    if (queue === undefined) this.fullLook = true;
    else this.drained.delete(queue);
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
    const { queues, concurrency, pollIntervalMs, logger, yieldTo } = this.options;
    while (!this.stopping) {
      if (yieldTo?.shouldYield()) {
        this.woken = false;
        await this.sleep(yieldTo.recheckMs);
        continue;
      }
      let fetched = 0;
      // The poll is due by the clock, not only when a sleep runs out: an instance whose slots keep
      // freeing never sleeps that long, and must still find retries coming due and other
      // instances' jobs in queues it saw empty.
      if (this.fullLook || performance.now() - this.lastFullLook >= pollIntervalMs) {
        this.drained.clear();
        this.lastFullLook = performance.now();
      }
      this.fullLook = false;
      this.woken = false;
      try {
        const looked = concurrency - this.running.size > 0;
        for (let i = 0; i < queues.length && !this.stopping; i++) {
          const free = concurrency - this.running.size;
          if (free <= 0) break;
          const queue = queues[(this.rotation + i) % queues.length]!;
          if (this.drained.has(queue.name)) continue;
          const jobs = await this.boss.fetch<never>(queue.name, { batchSize: free, includeMetadata: true });
          for (const job of jobs) this.run(queue, job);
          fetched += jobs.length;
          if (jobs.length < free) this.drained.add(queue.name);
        }
        // Only a look that could take jobs moves the starting queue on: a wake-up with every slot
        // busy must not, or a queue can keep landing on those wake-ups and never be first.
        if (looked) this.rotation = (this.rotation + 1) % queues.length;
      } catch (error) {
        logger.warn(errorLogFields(error), 'queue_fetch_failed');
      }
      if (this.stopping) break;
      // Full: wait for a slot. Idle, or every queue drained: wait for a poll or a local enqueue.
      // Busy with room and a queue that may hold more: go again.
      const allDrained = queues.every((queue) => this.drained.has(queue.name));
      if (fetched === 0 || this.running.size >= concurrency || allDrained) await this.sleep(pollIntervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    // A notify that came while the loop was fetching is not lost.
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        // The poll: look at every queue again, jobs may have come from elsewhere.
        this.fullLook = true;
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
        if (!controller.signal.aborted) await this.completions.complete(queue.name, job.id, output ?? {});
      } catch (error) {
        // pg-boss keeps the output in its job row: the same reduced text as the log, never a query's parameters.
        const message = errorSummary(error);
        this.options.logger.warn({ queue: queue.name, jobId: job.id, retryCount: job.retryCount, ...errorLogFields(error) }, 'job_failed');
        if (!controller.signal.aborted) await this.boss.fail(queue.name, job.id, { message });
      }
    })()
      .catch((error: Error) => this.options.logger.error({ queue: queue.name, jobId: job.id, ...errorLogFields(error) }, 'job_state_update_failed'))
      .finally(() => {
        this.running.delete(job.id);
        // A slot is free: look again at the queues that may still hold jobs.
        this.woken = true;
        this.wake?.();
      });
    this.running.set(job.id, { queue: queue.name, id: job.id, controller, done });
  }
}
