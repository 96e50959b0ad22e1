import type { Config } from '../config/load-config.js';
import type { Metrics } from '../metrics/metrics.js';

/**
 * Whether the webhook intake is under a burst: its recorder formed a batch of several deliveries
 * (they queued behind the batches being written) within the last `holdMs`. A trickle never forms
 * such batches. Every instance has one, HTTP-only ones included; the workers' pauses
 * (`IntakePressure`) and the dispatcher's gathering (`WebhookDispatcher`) read it.
 */
export class IntakeBursts {
  readonly holdMs: number;
  private readonly busyBatch: number;
  private readonly now: () => number;
  private lastBusyAt = Number.NEGATIVE_INFINITY;

  constructor(options: Pick<IntakePressureOptions, 'busyBatch' | 'holdMs' | 'now'> = {}) {
    this.busyBatch = options.busyBatch ?? 4;
    this.holdMs = options.holdMs ?? 200;
    this.now = options.now ?? (() => performance.now());
  }

  /** The recorder formed a batch of this many deliveries. */
  batchFormed(size: number): void {
    if (size >= this.busyBatch) this.lastBusyAt = this.now();
  }

  busy(): boolean {
    return this.now() - this.lastBusyAt < this.holdMs;
  }
}

/**
 * Whether this instance's webhook intake is under a burst, so its workers should leave it the CPU.
 *
 * Intake and workers share one event loop and, on a small machine, the cores PostgreSQL runs on.
 * During a burst of deliveries every sync the workers run slows the acknowledgements (measured:
 * about half the accepted rate), and Plaid waits on those. The syncs lose nothing by starting a few
 * seconds later: their jobs are durable. So while the recorder keeps forming batches of several
 * deliveries (they queued behind the batches being written: more arrive than one statement at a
 * time can take), the job pool takes no new jobs; running ones go on. A trickle never forms such
 * batches and never pauses the workers.
 *
 * The pauses draw on a budget of `maxYieldMs`, which time not paused refills at the same pace: a
 * pause lasts at most that long, and once it has used the whole budget the workers run as usual
 * until the budget is full again. So the workers are never paused more than half the time, whatever
 * the deliveries' pattern (a replayed signed delivery can be sent in bursts too); under a sustained
 * overload the instance is too small for its load (more instances, or HTTP-only ones in front of
 * workers: docs/backend/webhooks.md).
 */
export interface IntakePressureOptions {
  /** Longest pause of the workers, and the budget their pauses draw on. */
  maxYieldMs: number;
  /** A batch of at least this many deliveries is a sign of a burst. */
  busyBatch?: number;
  /** The intake stays busy this long after its last busy batch. */
  holdMs?: number;
  /** Told of the time the workers were paused, as it is accounted. */
  onPaused?: (ms: number) => void;
  now?: () => number;
  /** The instance's burst signal, shared with the dispatcher; one of its own (from `busyBatch`, `holdMs`) otherwise. */
  bursts?: IntakeBursts;
}

export class IntakePressure {
  readonly bursts: IntakeBursts;
  private readonly now: () => number;
  private budgetMs: number;
  /** The budget ran out: no pause until it is full again. */
  private exhausted = false;
  private pausing = false;
  private accountedAt: number;

  constructor(private readonly options: IntakePressureOptions) {
    this.now = options.now ?? (() => performance.now());
    this.bursts = options.bursts ?? new IntakeBursts(options);
    this.budgetMs = options.maxYieldMs;
    this.accountedAt = this.now();
  }

  /**
   * Asked by the job pool before it takes jobs (and again every `recheckMs` while it waits): true
   * means take none now. The answer holds until the next call, and the budget is charged for it.
   */
  shouldYield(): boolean {
    const now = this.now();
    const elapsed = now - this.accountedAt;
    this.accountedAt = now;
    const { maxYieldMs } = this.options;
    if (this.pausing) {
      this.budgetMs -= elapsed;
      this.options.onPaused?.(elapsed);
    } else {
      this.budgetMs = Math.min(maxYieldMs, this.budgetMs + elapsed);
    }
    if (this.budgetMs <= 0) {
      this.budgetMs = 0;
      this.exhausted = true;
    } else if (this.exhausted && this.budgetMs >= maxYieldMs) {
      this.exhausted = false;
    }
    this.pausing = !this.exhausted && this.bursts.busy();
    return this.pausing;
  }

  /** How long a paused pool waits before asking again. */
  get recheckMs(): number {
    return this.bursts.holdMs;
  }
}

/**
 * The instance's intake pressure as configured, its pauses counted in
 * `sync_workers_paused_seconds_total`; none for an HTTP-only instance or with the pause off.
 */
export function createIntakePressure(
  config: Pick<Config, 'workerIntakeYieldSeconds' | 'workerConcurrency'>,
  metrics: Pick<Metrics, 'workersPausedForIntake'>,
  tuning: Pick<IntakePressureOptions, 'bursts'> = {},
): IntakePressure | undefined {
  if (config.workerIntakeYieldSeconds <= 0 || config.workerConcurrency <= 0) return undefined;
  return new IntakePressure({
    ...tuning,
    maxYieldMs: config.workerIntakeYieldSeconds * 1000,
    onPaused: (ms) => metrics.workersPausedForIntake.inc(ms / 1000),
  });
}
