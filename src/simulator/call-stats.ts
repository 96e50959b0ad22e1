/** Per-endpoint call counters; every request to a Plaid endpoint counts, failed or not. */
export class CallStats {
  private readonly counts = new Map<string, number>();

  record(endpoint: string): void {
    this.counts.set(endpoint, (this.counts.get(endpoint) ?? 0) + 1);
  }

  get(endpoint: string): number {
    return this.counts.get(endpoint) ?? 0;
  }

  all(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts.clear();
  }
}
