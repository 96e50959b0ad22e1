import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Sql } from '../../src/db/client.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { startQueueMetrics } from '../../src/queue/queue-metrics.js';
import { captureLogs } from '../support/app.js';

/** A database that answers no query: every statement fails after a 10 s connect timeout, as with the server away. */
function unreachable(): { sql: Sql; itemCounts: () => number } {
  let itemCounts = 0;
  const sql = ((strings: TemplateStringsArray | string) => {
    if (typeof strings === 'string') return strings; // sql(identifier)
    if (strings.join('').includes('from plaid_items')) itemCounts++;
    return new Promise((_, reject) => setTimeout(() => reject(new Error('CONNECT_TIMEOUT')), 10_000));
  }) as unknown as Sql;
  return { sql, itemCounts: () => itemCounts };
}

describe('the gauges’ schedule', () => {
  afterEach(() => vi.useRealTimers());

  it('counts items again after the usual period when a count failed, however long the failure took', async () => {
    vi.useFakeTimers();
    const { sql, itemCounts } = unreachable();
    const stop = startQueueMetrics(sql, createMetrics(), captureLogs().logger, 5_000);
    try {
      await vi.advanceTimersByTimeAsync(0);
      expect(itemCounts()).toBe(1);
      // Failed at 10 s; the next count 5 s later, not a hundred times the 10 s the failure took.
      await vi.advanceTimersByTimeAsync(15_000);
      expect(itemCounts()).toBe(2);
      await vi.advanceTimersByTimeAsync(15_000);
      expect(itemCounts()).toBe(3);
    } finally {
      stop();
    }
    await vi.advanceTimersByTimeAsync(60_000);
    expect(itemCounts()).toBe(3);
  });
});
