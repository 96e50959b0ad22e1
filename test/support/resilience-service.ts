import type { AppDeps } from '../../src/app.js';
import type { Config } from '../../src/config/load-config.js';
import type { TestDatabase } from './database.js';
import { startTestService, type RunningTestService } from './webhook-service.js';

export type InstrumentedService = RunningTestService;

/** The in-process service with the engine's production timings and a chosen Plaid timeout. */
export function startInstrumentedService(
  database: TestDatabase,
  options: { plaidBaseUrl: string; plaidTimeoutMs: number; config?: Partial<Config> },
): Promise<InstrumentedService> {
  return startTestService(database, { ...options, engine: {} });
}

/** `name{labels} value` lines of one metric, as label objects with their values. */
export async function metricValues(deps: Pick<AppDeps, 'metrics'>, name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = deps.metrics.registry.getSingleMetric(name);
  if (!metric) return [];
  const { values } = await metric.get();
  return values.map((entry) => ({ labels: entry.labels as Record<string, string | number>, value: entry.value }));
}
