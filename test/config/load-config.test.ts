import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-config-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const productionEnv = () => ({
  DATA_DIR: dataDir,
  PLAID_ENV: 'production',
  PLAID_CLIENT_ID: 'client',
  PLAID_SECRET: 'secret',
  TOKEN_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
  API_TOKENS: 'a-long-enough-api-token',
  ADMIN_PASSWORD: 'correct horse battery',
  WEBHOOK_URL: 'https://example.com/webhooks/plaid',
  PUBLIC_URL: 'https://sync.example.com',
});

async function problems(env: NodeJS.ProcessEnv): Promise<string[]> {
  try {
    await loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('starts in simulator mode with generated secrets that are kept across starts', async () => {
    const first = await loadConfig({ DATA_DIR: dataDir });
    expect(first.config.plaid.env).toBe('simulator');
    expect(first.createdDevSecrets).toBeDefined();
    expect(first.config.apiTokens).toEqual([first.createdDevSecrets!.apiToken]);
    const second = await loadConfig({ DATA_DIR: dataDir });
    expect(second.createdDevSecrets).toBeUndefined();
    expect(second.config.adminPassword).toBe(first.config.adminPassword);
    expect(second.config.keyring.current.key.equals(first.config.keyring.current.key)).toBe(true);
    const file = JSON.parse(await readFile(path.join(dataDir, 'dev-secrets.json'), 'utf8'));
    expect(file.apiToken).toBe(first.createdDevSecrets!.apiToken);
  });

  it('refuses Plaid credentials without PLAID_ENV instead of sending them to Sandbox', async () => {
    const { PLAID_ENV: _unused, ...env } = productionEnv();
    expect(await problems(env)).toEqual([
      'PLAID_ENV: is required when PLAID_CLIENT_ID or PLAID_SECRET is set: sandbox or production, the environment the keys belong to',
    ]);
    const { config } = await loadConfig({ ...env, PLAID_ENV: 'sandbox' });
    expect(config.plaid.env).toBe('sandbox');
    expect(config.apiTokens).toEqual(['a-long-enough-api-token']);
  });

  it('requires WEBHOOK_URL outside simulator mode unless it is explicitly none', async () => {
    const { WEBHOOK_URL: _unused, ...env } = productionEnv();
    expect(await problems(env)).toEqual([
      'WEBHOOK_URL: is required when PLAID_ENV is production (the public URL of /webhooks/plaid); WEBHOOK_URL=none runs on the hourly status check alone',
    ]);
    expect((await loadConfig({ ...env, WEBHOOK_URL: 'none' })).config.webhookUrl).toBeUndefined();
    expect((await loadConfig(productionEnv())).config.webhookUrl).toBe('https://example.com/webhooks/plaid');
    expect(await problems({ ...env, WEBHOOK_URL: 'nothing' })).toEqual(['WEBHOOK_URL: must be an http(s) URL or none']);
    // Simulator mode links items with the service's own address: nothing to set.
    expect((await loadConfig({ DATA_DIR: dataDir })).config.webhookUrl).toBeUndefined();
  });

  it('strips a trailing slash from PLAID_BASE_URL', async () => {
    const { config } = await loadConfig({ ...productionEnv(), PLAID_BASE_URL: 'http://127.0.0.1:4010/' });
    expect(config.plaid.baseUrl).toBe('http://127.0.0.1:4010');
  });

  it('accepts WORKER_CONCURRENCY=0 (an HTTP-only instance) and refuses a negative one', async () => {
    const { config } = await loadConfig({ DATA_DIR: dataDir, WORKER_CONCURRENCY: '0' });
    expect(config.workerConcurrency).toBe(0);
    expect(await problems({ DATA_DIR: dataDir, WORKER_CONCURRENCY: '-1' })).toEqual(['WORKER_CONCURRENCY: must be 0 or more']);
  });

  it('pauses workers for a webhook burst 10 s at most by default; 0 turns it off; refuses what is not a duration', async () => {
    expect((await loadConfig({ DATA_DIR: dataDir })).config.workerIntakeYieldSeconds).toBe(10);
    expect((await loadConfig({ DATA_DIR: dataDir, WORKER_INTAKE_YIELD_SECONDS: '0' })).config.workerIntakeYieldSeconds).toBe(0);
    expect(await problems({ DATA_DIR: dataDir, WORKER_INTAKE_YIELD_SECONDS: '-1' })).toEqual(['WORKER_INTAKE_YIELD_SECONDS: must be 0 or more']);
    expect(await problems({ DATA_DIR: dataDir, WORKER_INTAKE_YIELD_SECONDS: 'soon' })).toEqual(['WORKER_INTAKE_YIELD_SECONDS: must be a number']);
  });

  it('takes a setting left blank as unset (its default): a blank number is not 0', async () => {
    const blank = {
      DATA_DIR: dataDir, PORT: '', HOST: ' ', WORKER_CONCURRENCY: ' ', WORKER_INTAKE_YIELD_SECONDS: '', QUEUE_POLL_INTERVAL_SECONDS: ' ',
      SHUTDOWN_TIMEOUT_MS: '', LOG_LEVEL: '', LOG_FORMAT: ' ', SYNC_CRON: '', PLAID_ENV: '',
    };
    const { config } = await loadConfig(blank);
    expect(config).toMatchObject({
      port: 3000, host: '0.0.0.0', workerConcurrency: 8, workerIntakeYieldSeconds: 10, queuePollIntervalSeconds: 2, shutdownTimeoutMs: 10_000,
      logLevel: 'info', logFormat: 'json', syncCron: '0 * * * *', plaid: { env: 'simulator' },
    });
  });

  it('gives two first starts racing on one DATA_DIR the same secrets (one generates, the other reads them)', async () => {
    const [a, b] = await Promise.all([loadConfig({ DATA_DIR: dataDir }), loadConfig({ DATA_DIR: dataDir })]);
    expect(a.config.adminPassword).toBe(b.config.adminPassword);
    expect(a.config.apiTokens).toEqual(b.config.apiTokens);
    const file = JSON.parse(await readFile(path.join(dataDir, 'dev-secrets.json'), 'utf8'));
    expect(file.adminPassword).toBe(a.config.adminPassword);
  });

  it('takes LOG_FORMAT json (the default) or pretty, and refuses anything else', async () => {
    expect((await loadConfig({ DATA_DIR: dataDir })).config.logFormat).toBe('json');
    expect((await loadConfig({ DATA_DIR: dataDir, LOG_FORMAT: 'pretty' })).config.logFormat).toBe('pretty');
    expect(await problems({ DATA_DIR: dataDir, LOG_FORMAT: 'xml' })).toEqual(['LOG_FORMAT: must be one of json, pretty']);
  });

  it('names every bad field, one line each', async () => {
    expect(await problems({ DATA_DIR: dataDir, PORT: 'abc', LOG_LEVEL: 'loud' })).toEqual([
      'PORT: must be a number',
      expect.stringMatching(/^LOG_LEVEL: must be one of/),
    ]);
  });

  it('requires every secret outside simulator mode', async () => {
    const lines = await problems({ DATA_DIR: dataDir, PLAID_ENV: 'production' });
    expect(lines).toEqual([
      'PLAID_CLIENT_ID: is required when PLAID_ENV is production',
      'PLAID_SECRET: is required when PLAID_ENV is production',
      'TOKEN_ENCRYPTION_KEY: is required when PLAID_ENV is production',
      'API_TOKENS: is required when PLAID_ENV is production',
      'ADMIN_PASSWORD: is required when PLAID_ENV is production',
      'PUBLIC_URL: is required when PLAID_ENV is production',
      'WEBHOOK_URL: is required when PLAID_ENV is production (the public URL of /webhooks/plaid); WEBHOOK_URL=none runs on the hourly status check alone',
    ]);
  });

  it('reads PUBLIC_URL as a list of origins, and defaults to loopback names at PORT in simulator mode', async () => {
    const { config } = await loadConfig({ ...productionEnv(), PUBLIC_URL: 'https://Sync.example.com, http://localhost:8080/' });
    expect(config.publicOrigins).toEqual([
      { protocol: 'https:', hostname: 'sync.example.com', port: '' },
      { protocol: 'http:', hostname: 'localhost', port: '8080' },
    ]);
    const simulator = await loadConfig({ DATA_DIR: dataDir, PORT: '4000' });
    expect(simulator.config.publicOrigins.map((origin) => `${origin.protocol}//${origin.hostname}:${origin.port}`)).toEqual([
      'http://127.0.0.1:4000',
      'http://localhost:4000',
      'http://[::1]:4000',
    ]);
    expect(simulator.config.adminSession).toEqual({ idleTimeoutSeconds: 1800, absoluteTimeoutSeconds: 28800 });
    expect(simulator.config.adminLogin).toEqual({ windowSeconds: 900, maxFailuresPerAddress: 5, maxFailuresTotal: 10 });
  });

  it('rejects a PUBLIC_URL that is not a list of origins, bad metrics hosts and an idle timeout over the absolute one', async () => {
    for (const value of ['sync.example.com', 'ftp://sync.example.com', 'https://sync.example.com/admin', 'https://user@sync.example.com', ' , ']) {
      expect(await problems({ ...productionEnv(), PUBLIC_URL: value }), value).toEqual([expect.stringMatching(/^PUBLIC_URL: /)]);
    }
    expect(await problems({ ...productionEnv(), METRICS_ALLOWED_HOSTS: 'prometheus.internal, http://x/metrics' })).toEqual([
      expect.stringMatching(/^METRICS_ALLOWED_HOSTS: "http:\/\/x\/metrics" must be a host name/),
    ]);
    expect(
      await problems({ ...productionEnv(), ADMIN_SESSION_IDLE_TIMEOUT_SECONDS: '7200', ADMIN_SESSION_ABSOLUTE_TIMEOUT_SECONDS: '3600' }),
    ).toEqual(['ADMIN_SESSION_IDLE_TIMEOUT_SECONDS: must not exceed ADMIN_SESSION_ABSOLUTE_TIMEOUT_SECONDS']);
  });

  it('rejects an invalid encryption key, short API tokens and a short admin password', async () => {
    const lines = await problems({ ...productionEnv(), TOKEN_ENCRYPTION_KEY: 'not-a-key', API_TOKENS: 'short', ADMIN_PASSWORD: 'x' });
    expect(lines).toEqual([
      'TOKEN_ENCRYPTION_KEY: entry 1 is not a 32-byte key in base64 or hex',
      'API_TOKENS: each token must be at least 16 characters',
      'ADMIN_PASSWORD: must be at least 8 characters',
    ]);
  });

  it('rejects a DATABASE_URL that is not a postgres URL', async () => {
    expect(await problems({ ...productionEnv(), DATABASE_URL: 'mysql://x' })).toEqual([
      'DATABASE_URL: must be a postgres:// or postgresql:// URL',
    ]);
  });
});

describe('notifications to the app', () => {
  const whsec = () => `whsec_${randomBytes(32).toString('base64')}`;

  it('is off without APP_WEBHOOK_URL and on with both settings, with a 10 s timeout and retries past 24 hours', async () => {
    expect((await loadConfig(productionEnv())).config.appWebhook).toBeUndefined();
    const secret = whsec();
    const { config } = await loadConfig({ ...productionEnv(), APP_WEBHOOK_URL: 'https://app.example.com/hooks', APP_WEBHOOK_SECRET: secret });
    expect(config.appWebhook).toMatchObject({ url: 'https://app.example.com/hooks', secret, timeoutMs: 10_000 });
    // pg-boss waits at least retryDelay * 2^(n-1) before retry n.
    const { retryDelaySeconds, retryLimit } = config.appWebhook!;
    expect(retryDelaySeconds * (2 ** retryLimit - 1)).toBeGreaterThan(24 * 3600);
  });

  it('wants both or neither, and a Standard Webhooks secret', async () => {
    expect(await problems({ ...productionEnv(), APP_WEBHOOK_URL: 'https://app.example.com/hooks' })).toEqual([
      'APP_WEBHOOK_SECRET: is required when APP_WEBHOOK_URL is set',
    ]);
    expect(await problems({ ...productionEnv(), APP_WEBHOOK_SECRET: whsec() })).toEqual(['APP_WEBHOOK_URL: is required when APP_WEBHOOK_SECRET is set']);
    for (const bad of ['not-a-secret', 'whsec_', `whsec_${randomBytes(8).toString('base64')}`]) {
      expect(await problems({ ...productionEnv(), APP_WEBHOOK_URL: 'https://app.example.com/hooks', APP_WEBHOOK_SECRET: bad })).toEqual([
        expect.stringMatching(/^APP_WEBHOOK_SECRET: must be a Standard Webhooks secret/),
      ]);
    }
    expect((await problems({ ...productionEnv(), APP_WEBHOOK_URL: 'ftp://app.example.com', APP_WEBHOOK_SECRET: whsec() }))[0]).toMatch(/^APP_WEBHOOK_URL:/);
  });
});

describe('start-up with bad configuration', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, ...env },
      encoding: 'utf8',
      // tsx compiles the service at start: seconds on a quiet machine, tens of them on a loaded one.
      timeout: 60_000,
    });

  it.each([
    [{ PORT: 'abc' }, 'PORT: must be a number'],
    [{ PLAID_ENV: 'production' }, 'PLAID_SECRET: is required when PLAID_ENV is production'],
    [{ TOKEN_ENCRYPTION_KEY: 'nope' }, 'TOKEN_ENCRYPTION_KEY: entry 1 is not a 32-byte key'],
  ])('exits 1 for %j naming the field', (env, message) => {
    const result = start(env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration:');
    expect(result.stderr).toContain(message);
  }, 90_000);
});
