import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createApp, type AppDeps } from '../../src/app.js';
import type { Config } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { parseKeyring } from '../../src/vault/keyring.js';
import { TokenVault } from '../../src/vault/token-vault.js';
import { createPlaidClient } from '../../src/plaid/client.js';
import type { SyncRequest, SyncScheduler } from '../../src/sync/sync-scheduler.js';
import type { TestDatabase } from './database.js';
import { recordingWorkQueue } from './webhook-queue.js';

/** Where tests reach the in-process simulator (msw routes this host to it). */
export const TEST_PLAID_BASE_URL = 'https://plaid.test';
export const TEST_PLAID_CLIENT_ID = 'test-client';
export const TEST_PLAID_SECRET = 'test-secret-0123456789';

/** A scheduler that only records what was asked of it, for routes whose job ends at the request. */
export function recordingScheduler(): SyncScheduler & { requests: SyncRequest[] } {
  const requests: SyncRequest[] = [];
  return {
    requests,
    request(request) {
      requests.push(request);
      return Promise.resolve();
    },
  };
}

export const TEST_API_TOKEN = 'test-api-token-0123456789';
export const TEST_ADMIN_PASSWORD = 'test-admin-password';

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: undefined,
    dataDir: '/nonexistent',
    embeddedPostgresPort: 0,
    plaid: { env: 'simulator', clientId: TEST_PLAID_CLIENT_ID, secret: TEST_PLAID_SECRET, baseUrl: TEST_PLAID_BASE_URL },
    webhookUrl: 'https://service.test/webhooks/plaid',
    keyring: parseKeyring(`test:${randomBytes(32).toString('base64')}`),
    apiTokens: [TEST_API_TOKEN],
    adminPassword: TEST_ADMIN_PASSWORD,
    // Requests made with app.request('/path') name the host `localhost`.
    publicOrigins: [{ protocol: 'http:', hostname: 'localhost', port: '' }],
    metricsAllowedHosts: [],
    adminSession: { idleTimeoutSeconds: 30 * 60, absoluteTimeoutSeconds: 8 * 60 * 60 },
    adminLogin: { windowSeconds: 15 * 60, maxFailuresPerAddress: 5, maxFailuresTotal: 10 },
    logLevel: 'info',
    logFormat: 'json',
    syncCron: '0 * * * *',
    workerConcurrency: 2,
    workerIntakeYieldSeconds: 10,
    shutdownTimeoutMs: 1000,
    webhookMaxBodyBytes: 64 * 1024,
    apiMaxBodyBytes: 64 * 1024,
    adminMaxFormBytes: 16 * 1024,
    adminMaxFormFields: 32,
    webhookDedupeWindowSeconds: 300,
    statusChecksPerMinute: 600,
    changeFeedRetentionDays: 30,
    queuePollIntervalSeconds: 0.5,
    cronCheckIntervalSeconds: 30,
    ...overrides,
  };
}

/** Every log line the app writes during a test, parsed, so tests can assert on them. */
export function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}

export function buildTestApp(database: TestDatabase, overrides: Partial<AppDeps> = {}) {
  const config = overrides.config ?? testConfig();
  const logs = captureLogs();
  const deps: AppDeps = {
    config,
    db: database.db,
    sql: database.sql,
    logger: logs.logger,
    metrics: createMetrics(),
    vault: new TokenVault(config.keyring),
    plaid: createPlaidClient({ ...config.plaid, timeoutMs: 5_000 }),
    syncs: recordingScheduler(),
    queue: recordingWorkQueue(),
    ...overrides,
  };
  return { app: createApp(deps), deps, logs: logs.lines };
}
