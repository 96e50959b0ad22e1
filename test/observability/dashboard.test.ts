import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import {
  REPO_ROOT,
  alertTestCoverage,
  dashboardQueries,
  loadAlertRules,
  loadDashboard,
  variableQuery,
} from './observability-files.js';
import { metricNames, variableMetricNames } from './promql-names.js';

/** Every series name the service exports, with the suffixes Prometheus gives histograms and summaries. */
async function exportedSeriesNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await createMetrics().registry.getMetricsAsJSON()) {
    names.add(metric.name);
    const type = String(metric.type);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

describe('metric names in PromQL', () => {
  it('finds metric names and ignores functions, labels, ranges and keywords', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (product, le) (rate(sync_latency_seconds_bucket{product=~"$product"}[$__rate_interval]))) > 60',
      ),
    ).toEqual(['sync_latency_seconds_bucket']);
    expect(
      metricNames('max(plaid_items{status="needs_reauth"}) - max(plaid_items offset 1h) > 5 and on (job) up unless absent(x_total)'),
    ).toEqual(['plaid_items', 'up', 'x_total']);
    expect(variableMetricNames('label_values(sync_latency_seconds_count, product)')).toEqual(['sync_latency_seconds_count']);
    expect(variableMetricNames('query_result(topk(5, sync_complete_total))')).toEqual(['sync_complete_total']);
  });
});

describe('grafana dashboard', () => {
  const dashboard = loadDashboard();

  it('has unique panel ids and a query on every panel', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
  });

  it('reads every panel and variable through the templated Prometheus datasource', () => {
    const datasource = dashboard.templating.list.find((variable) => variable.name === 'datasource');
    expect(datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const usesVariable = { type: 'prometheus', uid: '${datasource}' };
    for (const panel of dashboard.panels) {
      expect(panel.datasource, panel.title).toEqual(usesVariable);
      for (const target of panel.targets ?? []) expect(target.datasource, `${panel.title} ${target.refId}`).toEqual(usesVariable);
    }
    for (const variable of dashboard.templating.list.filter((entry) => entry.type === 'query')) {
      expect(variable.datasource, variable.name).toEqual(usesVariable);
    }
  });

  it('has a product variable that filters the sync panels', () => {
    const product = dashboard.templating.list.find((variable) => variable.name === 'product');
    expect(product).toMatchObject({ type: 'query', multi: true, includeAll: true });
    const syncQueries = dashboard.panels
      .flatMap((panel) => panel.targets ?? [])
      .filter((target) => /\bsync_(latency|error|complete)/.test(target.expr));
    expect(syncQueries.length).toBeGreaterThan(0);
    for (const target of syncQueries) expect(target.expr).toContain('product=~"$product"');
  });

  it('has the panels the operators rely on', () => {
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)).join('\n');
    for (const quantile of ['0.5', '0.95', '0.99']) expect(exprs).toContain(`histogram_quantile(${quantile}, sum by (product, le) (rate(sync_latency_seconds_bucket`);
    for (const fragment of [
      'sum by (product, error_code) (increase(sync_error_total',
      'sum by (product) (increase(sync_complete_total{product=~"$product"}[1h]))',
      'sum by (webhook_type, webhook_code, outcome) (rate(plaid_webhooks_total',
      'max by (status) (plaid_items)',
      'max by (queue) (sync_queue_depth)',
      'max by (queue) (sync_queue_oldest_job_age_seconds)',
      'sum by (endpoint) (rate(plaid_api_requests_total',
      'sum by (endpoint, outcome) (rate(plaid_api_requests_total{outcome!="ok"}',
    ]) {
      expect(exprs).toContain(fragment);
    }
  });

  it('uses only metrics the service exports', async () => {
    const exported = await exportedSeriesNames();
    const used = [
      ...dashboardQueries(dashboard, { product: '.*', rateInterval: '1m' }).flatMap((query) => metricNames(query.expr)),
      ...dashboard.templating.list.flatMap((variable) => {
        const query = variable.type === 'query' ? variableQuery(variable) : undefined;
        return query === undefined ? [] : variableMetricNames(query);
      }),
    ];
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });
});

describe('alert rules', () => {
  const rules = loadAlertRules();

  it('covers the alerts the issue asks for', () => {
    expect(rules.map((rule) => rule.alert).sort()).toEqual([
      'PlaidApiErrorRatioHigh',
      'PlaidAppWebhookDeliveriesFailing',
      'PlaidItemsNeedingReauthRising',
      'PlaidSyncErrorRatioHigh',
      'PlaidSyncLatencyHigh',
      'PlaidSyncNoCompletedSync',
      'PlaidSyncQueueGrowing',
      'PlaidSyncQueueJobStale',
      'PlaidWebhookSignatureRejections',
    ]);
  });

  it('uses only metrics the service exports', async () => {
    const exported = await exportedSeriesNames();
    for (const rule of rules) {
      const names = metricNames(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      expect(names.filter((name) => !exported.has(name)), rule.alert).toEqual([]);
    }
  });

  it('gives every alert a severity, summary, description and a runbook that exists and names it', () => {
    for (const rule of rules) {
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const runbook = rule.annotations?.runbook_url ?? '';
      expect(runbook, rule.alert).toMatch(/^docs\/runbooks\/[a-z0-9-]+\.md$/);
      const file = path.join(REPO_ROOT, runbook);
      expect(existsSync(file), `${rule.alert}: ${runbook} is missing`).toBe(true);
      expect(readFileSync(file, 'utf8'), runbook).toContain(rule.alert);
    }
  });

  it('has no runbook without an alert', () => {
    const linked = new Set(rules.map((rule) => path.basename(rule.annotations?.runbook_url ?? '')));
    const files = readdirSync(path.join(REPO_ROOT, 'docs/runbooks')).filter((file) => file.endsWith('.md') && file !== 'README.md');
    expect(files.filter((file) => !linked.has(file))).toEqual([]);
  });

  it('has promtool tests where every alert fires and where it stays quiet', () => {
    const coverage = alertTestCoverage();
    for (const rule of rules) {
      expect(coverage.get(rule.alert)?.fires ?? 0, `${rule.alert} never fires in alerts/tests`).toBeGreaterThan(0);
      expect(coverage.get(rule.alert)?.quiet ?? 0, `${rule.alert} is never quiet in alerts/tests`).toBeGreaterThan(0);
    }
  });
});

describe('docs/operations.md', () => {
  const operations = readFileSync(path.join(REPO_ROOT, 'docs/operations.md'), 'utf8');

  it('lists every metric the service defines and every alert', async () => {
    const defaults = new Set((await import('prom-client')).collectDefaultMetrics.metricsList);
    const own = (await createMetrics().registry.getMetricsAsJSON())
      .map((metric) => metric.name)
      .filter((name) => !defaults.has(name) && !/^(process|nodejs)_/.test(name));
    expect(own.length).toBeGreaterThan(5);
    for (const name of own) expect(operations, name).toContain(`\`${name}\``);
    for (const rule of loadAlertRules()) expect(operations, rule.alert).toContain(`\`${rule.alert}\``);
  });
});

