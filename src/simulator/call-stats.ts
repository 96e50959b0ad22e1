/** A product Plaid added to an Item after Link because a product endpoint was called: billed from then on. */
export interface BilledAdd {
  itemId: string;
  product: string;
}

/** Per-endpoint call counters; every request to a Plaid endpoint counts, failed or not. */
export class CallStats {
  private readonly counts = new Map<string, number>();
  private readonly adds: BilledAdd[] = [];
  private readonly perItem = new Map<string, Map<string, number>>();

  /** A product endpoint called for an Item, whatever the answer (refusals included). */
  recordProductCall(itemId: string, product: string): void {
    const counts = this.perItem.get(itemId) ?? new Map<string, number>();
    counts.set(product, (counts.get(product) ?? 0) + 1);
    this.perItem.set(itemId, counts);
  }

  /** Per Item, how many product endpoint calls each product got. */
  productCalls(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.perItem].map(([itemId, counts]) => [itemId, Object.fromEntries(counts)]));
  }

  recordBilledAdd(add: BilledAdd): void {
    this.adds.push({ ...add });
  }

  /** Products added (and billed) after Link, in order, so tests can assert nothing was billed that was not asked for. */
  billedAdds(): BilledAdd[] {
    return this.adds.map((add) => ({ ...add }));
  }

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
    this.adds.length = 0;
    this.perItem.clear();
  }
}
