export interface LoginLimiterOptions {
  maxFailures: number;
  windowMs: number;
  now?: () => number;
}

/**
 * Failed login attempts per client, in a fixed window. It lives in memory, so with N instances an
 * attacker gets at most N times the budget; with a long random password that is still far too few
 * guesses to matter, and a database round-trip per attempt would be a denial-of-service lever.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();
  private readonly now: () => number;

  constructor(private readonly options: LoginLimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Seconds the client must wait before trying again, or 0 when it may try now. */
  retryAfter(client: string): number {
    const entry = this.failures.get(client);
    if (!entry) return 0;
    const now = this.now();
    if (entry.resetAt <= now) {
      this.failures.delete(client);
      return 0;
    }
    return entry.count >= this.options.maxFailures ? Math.ceil((entry.resetAt - now) / 1000) : 0;
  }

  recordFailure(client: string): void {
    const now = this.now();
    this.prune(now);
    const entry = this.failures.get(client);
    if (!entry || entry.resetAt <= now) this.failures.set(client, { count: 1, resetAt: now + this.options.windowMs });
    else entry.count += 1;
  }

  recordSuccess(client: string): void {
    this.failures.delete(client);
  }

  /** Keeps the map bounded when many distinct clients fail once and never come back. */
  private prune(now: number): void {
    if (this.failures.size < 10_000) return;
    for (const [client, entry] of this.failures) if (entry.resetAt <= now) this.failures.delete(client);
  }
}
