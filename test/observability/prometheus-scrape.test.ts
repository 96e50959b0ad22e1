import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTS } from '../../src/db/schema/products.js';
import type { Metrics } from '../../src/metrics/metrics.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { RULES_FILE, dashboardQueries, loadAlertRules, loadDashboard } from './observability-files.js';
import { startPrometheus, type PrometheusSample, type QueryResponse, type RunningPrometheus } from './prometheus.js';

/**
 * One round of the traffic a running service produces, recorded through the same metric objects
 * the sync engine, webhook intake, Plaid client and workers use. Each round moves every counter
 * and histogram, so rates over two scraped rounds are positive.
 */
function recordTraffic(metrics: Metrics, round: number): void {
  for (const product of PRODUCTS) {
    metrics.syncLatency.observe({ product, trigger: 'webhook', outcome: 'succeeded' }, 0.4 + round);
    metrics.syncLatency.observe({ product, trigger: 'schedule', outcome: 'failed' }, 2.5);
    metrics.syncComplete.inc({ product });
    metrics.syncErrors.inc({ product, error_code: 'ITEM_LOGIN_REQUIRED' });
  }
  metrics.plaidWebhooks.inc({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', outcome: 'accepted' });
  metrics.plaidWebhooks.inc({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', outcome: 'duplicate' });
  metrics.plaidWebhooks.inc({ webhook_type: 'ITEM', webhook_code: 'ERROR', outcome: 'orphan' });
  metrics.webhookSignatureRejected.inc({ reason: 'signature' });
  metrics.plaidApiRequests.inc({ endpoint: '/transactions/sync', outcome: 'ok' }, 3);
  metrics.plaidApiRequests.inc({ endpoint: '/transactions/sync', outcome: 'ITEM_LOGIN_REQUIRED' });
  metrics.plaidApiRequests.inc({ endpoint: '/item/get', outcome: 'ok' });
  metrics.plaidApiDuration.observe({ endpoint: '/transactions/sync' }, 0.12);
  metrics.plaidApiDuration.observe({ endpoint: '/item/get' }, 0.03);
  metrics.queueDepth.set({ queue: 'sync-transactions' }, 3 + round);
  metrics.queueOldestJobAge.set({ queue: 'sync-transactions' }, 12 * round);
  metrics.itemsByStatus.set({ status: 'active' }, 40);
  metrics.itemsByStatus.set({ status: 'needs_reauth' }, 2 + round);
  metrics.itemsByStatus.set({ status: 'disconnected' }, 1);
}

function samples(response: QueryResponse): PrometheusSample[] {
  return response.status === 'success' && response.data?.resultType === 'vector' ? (response.data.result as PrometheusSample[]) : [];
}

const hasFiniteValue = (response: QueryResponse) => samples(response).some((sample) => Number.isFinite(Number(sample.value[1])));

describe('a real Prometheus scraping the service', () => {
  let database: TestDatabase;
  let server: ServerType;
  let metrics: Metrics;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    database = await createTestDatabase();
    const built = buildTestApp(database);
    metrics = built.deps.metrics;
    server = await new Promise<ServerType>((resolve) => {
      const instance = serve({ fetch: built.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(instance));
    });
    const { port } = server.address() as AddressInfo;
    prometheus = await startPrometheus({ target: `127.0.0.1:${port}`, ruleFiles: [RULES_FILE] });

    recordTraffic(metrics, 1);
    const first = String(PRODUCTS.length);
    await prometheus.waitFor(
      async () => (samples(await prometheus.query('sum(sync_complete_total)'))[0]?.value[1] === first ? true : undefined),
      () => 'Prometheus never scraped the first round of traffic',
    );
    recordTraffic(metrics, 2);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await database?.drop();
  });

  it('gets data for every dashboard panel', async () => {
    const queries = dashboardQueries(loadDashboard(), { product: PRODUCTS.join('|'), rateInterval: '1m' });
    expect(queries.length).toBeGreaterThan(10);
    let empty: string[] = [];
    // Rates need two scrapes of the second round; each query is retried until every one has data.
    await prometheus.waitFor(
      async () => {
        const results = await Promise.all(queries.map(async (query) => ({ query, response: await prometheus.query(query.expr) })));
        for (const { query, response } of results) expect(response, `${query.panel}: ${query.expr}`).toMatchObject({ status: 'success' });
        empty = results.filter(({ response }) => !hasFiniteValue(response)).map(({ query }) => `${query.panel}: ${query.expr}`);
        return empty.length === 0 ? true : undefined;
      },
      () => `panels without data:\n${empty.join('\n')}`,
    );
  }, 60_000);

  it('offers the products for the dashboard variable', async () => {
    const response = await prometheus.get<{ status: string; data: string[] }>(
      `/api/v1/label/product/values?${new URLSearchParams({ 'match[]': 'sync_latency_seconds_count' }).toString()}`,
    );
    expect(response).toEqual({ status: 'success', data: [...PRODUCTS].sort() });
  });

  it('parses and evaluates every alert expression', async () => {
    const rules = loadAlertRules();
    for (const rule of rules) {
      const response = await prometheus.query(rule.expr);
      expect(response, `${rule.alert}: ${response.error ?? ''}`).toMatchObject({ status: 'success', data: { resultType: 'vector' } });
    }
  });

  it('loads the rule file and evaluates every alert without errors', async () => {
    interface RulesResponse {
      data: { groups: { rules: { name: string; type: string; health: string; lastError?: string }[] }[] };
    }
    const alertNames = loadAlertRules().map((rule) => rule.alert);
    let unhealthy: string[] = [];
    await prometheus.waitFor(
      async () => {
        const { data } = await prometheus.get<RulesResponse>('/api/v1/rules?type=alert');
        const loaded = data.groups.flatMap((group) => group.rules);
        expect(loaded.map((rule) => rule.name).sort()).toEqual([...alertNames].sort());
        unhealthy = loaded.filter((rule) => rule.health !== 'ok').map((rule) => `${rule.name}: ${rule.health} ${rule.lastError ?? ''}`);
        return unhealthy.length === 0 ? true : undefined;
      },
      () => `rules not healthy:\n${unhealthy.join('\n')}`,
    );
  }, 60_000);
});
