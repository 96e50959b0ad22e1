import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DASHBOARD_FILE = path.join(REPO_ROOT, 'grafana/plaid-sync-dashboard.json');
export const RULES_FILE = path.join(REPO_ROOT, 'alerts/plaid-sync.rules.yml');
export const ALERT_TESTS_DIR = path.join(REPO_ROOT, 'alerts/tests');

export interface DashboardTarget {
  refId: string;
  expr: string;
  datasource?: { type?: string; uid?: string };
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: DashboardTarget[];
}

export interface DashboardVariable {
  name: string;
  type: string;
  query?: string | { query: string };
  datasource?: { type?: string; uid?: string };
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

export function loadAlertRules(): AlertRule[] {
  const file = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules).filter((rule) => rule.alert !== undefined);
}

/** The PromQL of a query variable (`label_values(metric, label)` is Grafana's, not PromQL). */
export function variableQuery(variable: DashboardVariable): string | undefined {
  if (variable.query === undefined) return undefined;
  return typeof variable.query === 'string' ? variable.query : variable.query.query;
}

export interface DashboardVariableValues {
  product: string;
  rateInterval: string;
  /** Grafana's `$__interval` (the step); defaults to the rate interval. */
  interval?: string;
  /** Grafana's `$__range` (the time picker's span); defaults to 1h. */
  range?: string;
  /** The datasource variable's value, should an expression ever name it. */
  datasource?: string;
}

/** Every panel query as Prometheus would receive it, with Grafana's variables filled in. */
export function dashboardQueries(dashboard: Dashboard, values: DashboardVariableValues) {
  // Longest names first: `$__rate_interval` must not be read as `$__interval`'s prefix and so on.
  const substitutions: [string, string][] = [
    ['$__rate_interval', values.rateInterval],
    ['$__interval', values.interval ?? values.rateInterval],
    ['$__range', values.range ?? '1h'],
    ['${datasource}', values.datasource ?? 'prometheus'],
    ['$datasource', values.datasource ?? 'prometheus'],
    ['${product}', values.product],
    ['$product', values.product],
  ];
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: `${panel.id} ${panel.title} (${target.refId})`,
      expr: substitutions.reduce((expr, [name, value]) => expr.replaceAll(name, value), target.expr),
    })),
  );
}

interface AlertTestCase {
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
}

/** For each alert name, how many promtool evaluations expect it firing and how many expect it quiet. */
export function alertTestCoverage(): Map<string, { fires: number; quiet: number }> {
  const coverage = new Map<string, { fires: number; quiet: number }>();
  for (const name of readdirSync(ALERT_TESTS_DIR).filter((file) => file.endsWith('.test.yml'))) {
    const file = parse(readFileSync(path.join(ALERT_TESTS_DIR, name), 'utf8')) as { tests: AlertTestCase[] };
    for (const evaluation of file.tests.flatMap((test) => test.alert_rule_test ?? [])) {
      const entry = coverage.get(evaluation.alertname) ?? { fires: 0, quiet: 0 };
      if ((evaluation.exp_alerts ?? []).length > 0) entry.fires += 1;
      else entry.quiet += 1;
      coverage.set(evaluation.alertname, entry);
    }
  }
  return coverage;
}
