import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** Debian's `prometheus` package puts the server here; PROMETHEUS_BIN points elsewhere. */
export const DEFAULT_PROMETHEUS_BIN = '/usr/bin/prometheus';

export interface PrometheusSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface QueryResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: PrometheusSample[] | [number, string] };
  errorType?: string;
  error?: string;
}

export interface RunningPrometheus {
  url: string;
  /** An instant query through `/api/v1/query`; the body is returned for errors too. */
  query(expr: string): Promise<QueryResponse>;
  /** Calls `check` until it returns a value other than undefined, or fails with `describe()` after `timeoutMs`. */
  waitFor<T>(check: () => Promise<T | undefined>, describe: () => string, timeoutMs?: number): Promise<T>;
  /** Prometheus's JSON API: `get('/api/v1/rules')` and the like. */
  get<T>(apiPath: string): Promise<T>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` of the service to scrape. */
  target: string;
  metricsPath?: string;
  scrapeInterval?: string;
  /** Absolute paths of rule files to load (Prometheus validates them at start). */
  ruleFiles?: string[];
}

function prometheusBinary(): string {
  const bin = process.env.PROMETHEUS_BIN ?? DEFAULT_PROMETHEUS_BIN;
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(
      `The Prometheus server was not found at ${bin}. Install Debian's package (apt-get install prometheus) ` +
        'or set PROMETHEUS_BIN to a prometheus binary.',
    );
  }
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let gone = false;
  void exited(child).then(() => (gone = true));
  while (!gone) {
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready within 30s:\n${output()}`);
    await delay(100);
  }
  throw new Error(`prometheus exited before it was ready:\n${output()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(timer);
}

/**
 * Starts a real Prometheus on a free loopback port, scraping one target every `scrapeInterval`
 * into a throwaway data directory. Rules are evaluated at the same interval.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const bin = prometheusBinary();
  const dir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-prometheus-'));
  const interval = options.scrapeInterval ?? '1s';
  // JSON is YAML, so the config needs no YAML writer.
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [
      { job_name: 'plaid-sync', metrics_path: options.metricsPath ?? '/metrics', static_configs: [{ targets: [options.target] }] },
    ],
  };
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, JSON.stringify(config, null, 2));

  let lastError: unknown;
  // The port is free when chosen but another process may take it first; a fresh one is tried then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      bin,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    try {
      await waitUntilReady(url, child, () => output);
    } catch (error) {
      lastError = error;
      await stopProcess(child);
      if (!/address already in use/.test(output)) break;
      continue;
    }

    const get = async <T>(apiPath: string): Promise<T> => (await (await fetch(`${url}${apiPath}`)).json()) as T;
    return {
      url,
      get,
      query: (expr) => get<QueryResponse>(`/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`),
      async waitFor(check, describe, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const value = await check();
          if (value !== undefined) return value;
          if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms: ${describe()}`);
          // Prometheus has no push notification for "scraped"; its API is polled at a fraction of the interval.
          await delay(200);
        }
      },
      async stop() {
        await stopProcess(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error('prometheus did not start');
}

/** The samples of an instant vector answer; empty for errors and other result types. */
export function samples(response: QueryResponse): PrometheusSample[] {
  return response.status === 'success' && response.data?.resultType === 'vector' ? (response.data.result as PrometheusSample[]) : [];
}

/** Whether any series has a number (histogram_quantile over no observations gives NaN: no data on a graph). */
export function hasFiniteValue(response: QueryResponse): boolean {
  return samples(response).some((sample) => Number.isFinite(Number(sample.value[1])));
}
