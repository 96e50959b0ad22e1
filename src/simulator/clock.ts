const DAY_MS = 86_400_000;

/**
 * Wall-clock reads go through here so tests can inject a clock; delays are scaled by timeScale and
 * tracked so close() can cancel them.
 */
export class Clock {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly timeScale: number,
    private readonly nowFn: () => number,
    private readonly todayOverride?: string,
  ) {}

  now(): number {
    return this.nowFn();
  }

  nowSeconds(): number {
    return Math.floor(this.nowFn() / 1000);
  }

  iso(offsetMs = 0): string {
    return new Date(this.nowFn() + offsetMs).toISOString();
  }

  /** Days since the Unix epoch for "today" (UTC). */
  todayDay(): number {
    if (this.todayOverride !== undefined) return Math.floor(Date.parse(`${this.todayOverride}T00:00:00Z`) / DAY_MS);
    return Math.floor(this.nowFn() / DAY_MS);
  }

  scaled(ms: number): number {
    return ms * this.timeScale;
  }

  /** Runs fn after ms of simulated time (ms × timeScale of real time). */
  after(ms: number, fn: () => void): () => void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.scaled(ms));
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

const dates = new Map<number, string>();

/** YYYY-MM-DD for a day number; memoised because every generated transaction needs two. */
export function dayToDate(day: number): string {
  let date = dates.get(day);
  if (date === undefined) {
    date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dates.size < 100_000) dates.set(day, date);
  }
  return date;
}
