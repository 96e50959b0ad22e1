import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCTS, type Product } from '../../src/db/schema/products.js';
import { REGISTRY } from '../../src/plaid/products/registry.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startInstrumentedService, type InstrumentedService } from '../support/resilience-service.js';
import { startDeliveringSimulator } from '../support/webhook-e2e.js';
import { eventually, insertItem } from '../support/webhook-items.js';
import { RULES_FILE, dashboardQueries, loadAlertRules, loadDashboard } from './observability-files.js';
import { hasFiniteValue, samples, startPrometheus, type RunningPrometheus } from './prometheus.js';

const ITEMS_PER_PRODUCT = 2;
const SCRAPE_INTERVAL_SECONDS = 1;

interface LiveItem {
  id: string;
  plaidItemId: string;
  product: Product;
}

/**
 * The service as it runs (HTTP server, pg-boss workers, sync engine) against the simulator as a
 * separate HTTP server that signs and delivers webhooks, scraped by a real Prometheus. Every metric
 * comes from real traffic: links, syncs, webhooks, Plaid faults, a forged webhook and a broken login.
 */
describe('a real Prometheus scraping the service while the simulator drives it', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startDeliveringSimulator>>;
  let service: InstrumentedService;
  let prometheus: RunningPrometheus;
  /** The app's notification endpoint: takes every notice, so the notifications panel has data. */
  let app: Server;
  const items: LiveItem[] = [];

  async function runCount(trigger: string): Promise<number> {
    const [row] = await database.sql<{ count: number }[]>`
      select count(*)::int as count from sync_runs where trigger = ${trigger} and status = 'succeeded'`;
    return row!.count;
  }

  async function scrapedValue(expr: string): Promise<number | undefined> {
    const value = samples(await prometheus.query(expr))[0]?.value[1];
    return value === undefined ? undefined : Number(value);
  }

  /** Resolves once Prometheus holds what the service's registry says now, and has scraped twice since. */
  async function scrapedTwiceAfterTraffic(): Promise<void> {
    const completed = (await service.deps.metrics.syncComplete.get()).values.reduce((sum, sample) => sum + sample.value, 0);
    const after = Date.now() / 1000 + SCRAPE_INTERVAL_SECONDS;
    await prometheus.waitFor(
      async () => {
        const [scraped, lastScrape] = await Promise.all([scrapedValue('sum(sync_complete_total)'), scrapedValue('max(timestamp(up))')]);
        return scraped === completed && lastScrape !== undefined && lastScrape > after ? true : undefined;
      },
      () => `Prometheus did not scrape ${completed} completed syncs twice`,
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startDeliveringSimulator(88);
    // The Plaid client instrumented as `startService` builds it: plaid_api_* come from its interceptors.
    app = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    const appWebhook = {
      url: `http://127.0.0.1:${(app.address() as AddressInfo).port}/notifications`,
      secret: `whsec_${randomBytes(32).toString('base64')}`,
      timeoutMs: 5_000, retryDelaySeconds: 1, retryLimit: 3, concurrency: 2,
    };
    service = await startInstrumentedService(database, { plaidBaseUrl: simulator.url, plaidTimeoutMs: 10_000, config: { workerConcurrency: 4, appWebhook } });
    // Scraping starts before any traffic, so every counter's first scrape is low and rates over the window are positive.
    prometheus = await startPrometheus({
      target: new URL(service.url).host,
      ruleFiles: [RULES_FILE],
      scrapeInterval: `${SCRAPE_INTERVAL_SECONDS}s`,
    });
    await prometheus.waitFor(async () => ((await scrapedValue('up')) === 1 ? true : undefined), () => 'the service was never scraped');
    const webhook = `${service.url}/webhooks/plaid`;

    // Round one: links and initial syncs, through one rate limit and one institution outage.
    simulator.control.addFault({ endpoint: '/transactions/sync', kind: 'rate_limit', count: 1 });
    simulator.control.addFault({ endpoint: '/liabilities/get', kind: 'institution_down', count: 1 });
    for (const product of PRODUCTS) {
      for (let index = 0; index < ITEMS_PER_PRODUCT; index++) {
        const created = simulator.control.createItem({ products: [REGISTRY[product].plaidProduct], webhook, transactionCount: 25 });
        const id = await insertItem(service.deps, { plaidItemId: created.itemId, accessToken: created.accessToken, product });
        items.push({ id, plaidItemId: created.itemId, product });
        await service.deps.syncs.request({ itemId: id, product, trigger: 'initial' });
      }
    }
    await eventually(async () => ((await runCount('initial')) === items.length ? true : undefined), 20_000, 'initial syncs');
    await scrapedTwiceAfterTraffic();

    // Round two: each product's update webhook, a forged webhook and a login that breaks.
    const webhookRuns = await runCount('webhook');
    for (const item of items) {
      if (item.product === 'transactions') simulator.control.advance(item.plaidItemId, { added: 5, modified: 1, removed: 1 });
      if (item.product === 'investments') simulator.control.updateHoldings(item.plaidItemId, { added: 1, updated: 1 });
      if (item.product === 'liabilities') simulator.control.updateLiabilities(item.plaidItemId);
    }
    const forged = await fetch(webhook, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'plaid-verification': 'forged.not-a.jwt' },
      body: JSON.stringify({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: items[0]!.plaidItemId }),
    });
    expect(forged.status).toBe(401);
    await simulator.control.idle();
    await eventually(async () => ((await runCount('webhook')) >= webhookRuns + items.length ? true : undefined), 20_000, 'webhook syncs');
    simulator.control.loginRequired(items[1]!.plaidItemId);
    await simulator.control.idle();
    await eventually(async () => {
      const [row] = await database.sql<{ status: string }[]>`select status from plaid_items where id = ${items[1]!.id}`;
      return row!.status === 'needs_reauth' ? true : undefined;
    }, 10_000, 'needs_reauth');
    // The syncs' changes and the broken login reached the app as notifications.
    await eventually(async () => {
      const delivered = (await service.deps.metrics.appWebhookDeliveries.get()).values.reduce((sum, sample) => sum + sample.value, 0);
      return delivered > 0 ? true : undefined;
    }, 20_000, 'a notification delivered');
    await scrapedTwiceAfterTraffic();
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await service?.stop();
    await simulator?.close();
    await new Promise((resolve) => (app ? app.close(resolve) : resolve(undefined)));
    await database?.drop();
  });

  it('records the faults, the forged webhook and the broken login that the simulator caused', async () => {
    // The rate limit's code is the endpoint's own (TRANSACTIONS_SYNC_LIMIT), as Plaid's is.
    expect(simulator.control.injectedFaults()).toEqual({ TRANSACTIONS_SYNC_LIMIT: 1, INSTITUTION_DOWN: 1 });
    const checks = {
      'sum(sync_error_total{error_code="INSTITUTION_DOWN"})': (value: number) => value >= 1,
      'sum(plaid_api_requests_total{outcome="INSTITUTION_DOWN"})': (value: number) => value >= 1,
      'sum(sync_error_total{error_code="TRANSACTIONS_SYNC_LIMIT"})': (value: number) => value >= 1,
      'sum(plaid_api_requests_total{outcome="TRANSACTIONS_SYNC_LIMIT"})': (value: number) => value >= 1,
      'sum(plaid_webhook_signature_rejected_total)': (value: number) => value >= 1,
      'sum(plaid_webhooks_total{webhook_code="SYNC_UPDATES_AVAILABLE",outcome="accepted"})': (value: number) => value >= 1,
      // The gauge is read from the database every few seconds, so the scrape may trail the row.
      'max(plaid_items{status="needs_reauth"})': (value: number) => value === 1,
    };
    let failing: string[] = [];
    await prometheus.waitFor(
      async () => {
        const values = await Promise.all(Object.keys(checks).map(async (expr) => [expr, await scrapedValue(expr)] as const));
        failing = values.filter(([expr, value]) => value === undefined || !checks[expr as keyof typeof checks](value)).map(([expr, value]) => `${expr} = ${value}`);
        return failing.length === 0 ? true : undefined;
      },
      () => `not scraped as expected:\n${failing.join('\n')}`,
      15_000,
    );
  }, 20_000);

  it('gets data for every dashboard panel from that traffic', async () => {
    // A window wider than the whole test: on a loaded machine the traffic can be minutes old by now.
    const queries = dashboardQueries(loadDashboard(), { product: PRODUCTS.join('|'), rateInterval: '10m', interval: '15s', range: '1h' });
    expect(queries.length).toBeGreaterThan(10);
    let empty: string[] = [];
    await prometheus.waitFor(
      async () => {
        const results = await Promise.all(queries.map(async (query) => ({ query, response: await prometheus.query(query.expr) })));
        for (const { query, response } of results) expect(response, `${query.panel}: ${query.expr} ${response.error ?? ''}`).toMatchObject({ status: 'success' });
        empty = results.filter(({ response }) => !hasFiniteValue(response)).map(({ query }) => `${query.panel}: ${query.expr}`);
        return empty.length === 0 ? true : undefined;
      },
      () => `panels without data:\n${empty.join('\n')}`,
      10_000,
    );
  }, 15_000);

  it('offers every product for the dashboard variable', async () => {
    const response = await prometheus.get<{ status: string; data: string[] }>(
      `/api/v1/label/product/values?${new URLSearchParams({ 'match[]': 'sync_latency_seconds_count' }).toString()}`,
    );
    expect(response).toEqual({ status: 'success', data: [...PRODUCTS].sort() });
  });

  it('parses and evaluates every alert expression', async () => {
    const rules = loadAlertRules();
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) {
      const response = await prometheus.query(rule.expr);
      expect(response, `${rule.alert}: ${response.error ?? ''}`).toMatchObject({ status: 'success', data: { resultType: 'vector' } });
    }
  });

  it('loads the rule file and evaluates every alert rule without errors', async () => {
    interface RulesResponse {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
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
      10_000,
    );
  }, 15_000);
});
