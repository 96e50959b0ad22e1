import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { startQueueMetrics } from '../../src/queue/queue-metrics.js';
import { captureLogs } from '../support/app.js';

/**
 * A stand-in database for the gauges' schedule: the item count answers `items()` (or fails after a
 * 10 s connect timeout when it is null); the queue gauges' statements answer nothing.
 */
function database(items: () => number | null): { sql: Sql; itemCounts: () => number } {
  let itemCounts = 0;
  const sql = ((strings: TemplateStringsArray | string) => {
    if (typeof strings === 'string') return strings; // sql(identifier)
    if (!strings.join('').includes('from plaid_items')) return Promise.resolve([]);
    itemCounts++;
    const count = items();
    if (count === null) return new Promise((_, reject) => setTimeout(() => reject(new Error('CONNECT_TIMEOUT')), 10_000));
    return Promise.resolve([{ status: 'active', count }]);
  }) as unknown as Sql;
  return { sql, itemCounts: () => itemCounts };
}

describe('the gauges’ schedule', () => {
  afterEach(() => vi.useRealTimers());

  it('counts a large table’s items less often: 16 s apart at 2,000,000, 5 s at 1,000', async () => {
    vi.useFakeTimers();
    let items = 2_000_000;
    const metrics = createMetrics();
    const { sql, itemCounts } = database(() => items);
    const stop = startQueueMetrics(sql, metrics, captureLogs().logger, 5_000);
    try {
      await vi.advanceTimersByTimeAsync(0);
      expect(itemCounts()).toBe(1);
      expect((await metrics.itemsByStatus.get()).values.find((v) => v.labels.status === 'active')?.value).toBe(2_000_000);
      await vi.advanceTimersByTimeAsync(15_900);
      expect(itemCounts()).toBe(1);
      items = 1_000;
      await vi.advanceTimersByTimeAsync(100);
      expect(itemCounts()).toBe(2);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(itemCounts()).toBe(3);
    } finally {
      stop();
    }
    await vi.advanceTimersByTimeAsync(60_000);
    expect(itemCounts()).toBe(3);
  });

  it('counts again after the usual period when a count failed, however long the failure took', async () => {
    vi.useFakeTimers();
    const { sql, itemCounts } = database(() => null);
    const stop = startQueueMetrics(sql, createMetrics(), captureLogs().logger, 5_000);
    try {
      await vi.advanceTimersByTimeAsync(0);
      expect(itemCounts()).toBe(1);
      // Failed at 10 s; the next count 5 s later.
      await vi.advanceTimersByTimeAsync(15_000);
      expect(itemCounts()).toBe(2);
      await vi.advanceTimersByTimeAsync(15_000);
      expect(itemCounts()).toBe(3);
    } finally {
      stop();
    }
  });
});
