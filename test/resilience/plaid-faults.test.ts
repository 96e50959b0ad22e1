import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF } from '../../src/providers/plaid/plaid-call.js';
import { TEST_ADMIN_PASSWORD, TEST_PLAID_SECRET } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { keyringSecrets, plainSecret, SecretScanner } from '../support/resilience-secrets.js';
import { metricValues, startInstrumentedService, type InstrumentedService } from '../support/resilience-service.js';
import { retryFigures, startRecordingSimulator } from '../support/resilience-simulator.js';
import { printFigures, size } from '../support/resilience-sizes.js';
import { compareWithTruth, matchesEverywhere, type ComparedItem } from '../support/resilience-truth.js';
import { syncQueuesIdle } from '../support/webhook-e2e.js';
import { eventually, insertItem, only } from '../support/webhook-items.js';

const ITEMS = size(30, 200);
// Long enough that a slow but healthy answer on a loaded CI machine is not a timeout the simulator did not inject.
const PLAID_TIMEOUT_MS = 3_000;
/** Four transient kinds sharing 20% of calls (1 - 0.9457⁴ ≈ 0.2), then 5% of all calls held past the client's timeout. */
const PER_KIND = 0.0543;
const TIMEOUT_RATE = 0.05 / 0.8;

describe('Plaid faults across many items', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startRecordingSimulator>>;
  let service: InstrumentedService;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startRecordingSimulator({ seed: 2020 });
    service = await startInstrumentedService(database, { plaidBaseUrl: simulator.url, plaidTimeoutMs: PLAID_TIMEOUT_MS, config: { workerConcurrency: 8 } });
  });
  afterAll(async () => {
    await service?.stop();
    await simulator?.close();
    await database?.drop();
  });

  it(`syncs all ${ITEMS} items through 20% transient errors and 5% timeouts, counting every injected error`, async () => {
    const started = performance.now();
    const items: (ComparedItem & { accessToken: string })[] = [];
    for (let index = 0; index < ITEMS; index++) {
      const product = index % 3 === 2 ? 'investments' : 'transactions';
      const created = simulator.control.createItem({
        products: [product === 'investments' ? Products.Investments : Products.Transactions], transactionCount: 1_200, webhook: null,
        // The truth compared below is per linked product; the Sandbox-like full account set would add data nobody syncs.
        accountSet: 'products',
      });
      const id = await insertItem(service.deps, { plaidItemId: created.itemId, accessToken: created.accessToken, product });
      items.push({ id, plaidItemId: created.itemId, products: [product], accessToken: created.accessToken });
    }
    simulator.control.setRateLimits(true);
    simulator.control.setFaults([
      { kind: 'rate_limit', rate: PER_KIND },
      { kind: 'internal_error', rate: PER_KIND },
      { kind: 'planned_maintenance', rate: PER_KIND },
      { kind: 'institution_down', rate: PER_KIND },
      { kind: 'timeout', rate: TIMEOUT_RATE, delayMs: PLAID_TIMEOUT_MS * 2.5 },
    ]);
    for (const item of items) await service.deps.syncs.request({ itemId: item.id, product: item.products[0] as 'transactions', trigger: 'initial' });

    await eventually(async () => {
      const { synced } = only(await database.sql<{ synced: number }[]>`
        select count(distinct item_id)::int as synced from sync_runs where status = 'succeeded'`);
      return synced === ITEMS ? syncQueuesIdle(database.sql) : undefined;
    }, size(150_000, 600_000), 'every item synced');
    simulator.control.clearFaults();
    const seconds = (performance.now() - started) / 1000;

    const truth = await compareWithTruth(database.sql, simulator.control, items);
    const injected = simulator.control.injectedFaults();
    const counted: Record<string, number> = {};
    for (const { labels, value } of await metricValues(service.deps, 'sync_error_total')) {
      counted[String(labels.error_code)] = (counted[String(labels.error_code)] ?? 0) + value;
    }
    const retries = retryFigures(simulator.requests, { ...DEFAULT_BACKOFF, runGapMs: 25_000, timeoutMs: PLAID_TIMEOUT_MS });
    const runs = await database.sql<{ status: string; count: number }[]>`select status, count(*)::int as count from sync_runs group by 1 order by 1`;
    const plaidCalls = simulator.requests.length;
    const injectedTotal = Object.values(injected).reduce((sum, n) => sum + n, 0);

    const scanner = new SecretScanner();
    scanner.add(plainSecret('Plaid secret', TEST_PLAID_SECRET), plainSecret('admin password', TEST_ADMIN_PASSWORD), ...keyringSecrets(service.deps.config.keyring));
    for (const item of items) scanner.add(plainSecret(`access token of ${item.plaidItemId}`, item.accessToken));
    for (const line of service.logs) scanner.scan('log line', JSON.stringify(line));
    scanner.scan('metrics', await service.deps.metrics.registry.metrics());
    const metricsPage = await (await fetch(`${service.url}/metrics`)).text();
    scanner.scan('GET /metrics', metricsPage);

    printFigures('plaid-faults', {
      items: ITEMS, seconds: Number(seconds.toFixed(1)), plaidCalls, injected, injectedShare: Number((injectedTotal / plaidCalls).toFixed(3)),
      syncErrorTotal: counted, runs: Object.fromEntries(runs.map((row) => [row.status, row.count])), retries, truth, secrets: scanner.summary(),
    });

    expect(matchesEverywhere(truth)).toBe(true);
    expect(counted).toEqual(injected);
    expect(injected.TIMEOUT ?? 0).toBeGreaterThan(0);
    expect(retries.maxAttempts).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxAttempts);
    expect(retries.earlyRetries).toBe(0);
    expect(runs.find((row) => row.status === 'running')).toBeUndefined();
    expect(scanner.leaks).toEqual([]);
  }, size(200_000, 900_000));
});
