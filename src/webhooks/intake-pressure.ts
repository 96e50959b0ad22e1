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
 * The pause is bounded: a stretch of busy batches that lasts longer than `maxYieldMs` stops
 * counting, and the workers take jobs again until the intake has been quiet for `holdMs`. Under a
 * sustained overload the syncs still run; the instance is then too small for its load (more
 * instances, or HTTP-only ones in front of workers: docs/backend/webhooks.md).
 */
export interface IntakePressureOptions {
  /** Longest pause of the workers in one busy stretch. */
  maxYieldMs: number;
  /** A batch of at least this many deliveries is a sign of a burst. */
  busyBatch?: number;
  /** The intake stays busy this long after its last busy batch (and a stretch ends after this long without one). */
  holdMs?: number;
  now?: () => number;
}

export class IntakePressure {
  private readonly busyBatch: number;
  private readonly holdMs: number;
  private readonly now: () => number;
  private lastBusyAt = Number.NEGATIVE_INFINITY;
  private stretchStartedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: IntakePressureOptions) {
    this.busyBatch = options.busyBatch ?? 4;
    this.holdMs = options.holdMs ?? 200;
    this.now = options.now ?? (() => performance.now());
  }

  /** The recorder formed a batch of this many deliveries. */
  batchFormed(size: number): void {
    if (size < this.busyBatch) return;
    const now = this.now();
    if (now - this.lastBusyAt >= this.holdMs) this.stretchStartedAt = now;
    this.lastBusyAt = now;
  }

  /** True while a burst is on and this stretch has not yet paused the workers for `maxYieldMs`. */
  shouldYield(): boolean {
    const now = this.now();
    return now - this.lastBusyAt < this.holdMs && now - this.stretchStartedAt < this.options.maxYieldMs;
  }

  /** How long a paused pool waits before looking again. */
  get recheckMs(): number {
    return this.holdMs;
  }
}
