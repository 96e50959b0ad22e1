import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createPlaidClient } from '../../src/plaid/client.js';
import { checkPlaidCredentials } from '../../src/plaid/credential-check.js';
import { startSimulatorServer } from '../../src/simulator/index.js';
import { TEST_PLAID_CLIENT_ID, TEST_PLAID_SECRET } from '../support/app.js';

const root = path.resolve(import.meta.dirname, '../..');
const logger = createLogger('silent');

type SimulatorServer = Awaited<ReturnType<typeof startSimulatorServer>>;

/** `src/main.ts` with only this environment: its exit code and what it wrote to stderr. */
function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('the start-up check of the Plaid credentials', () => {
  let simulator: SimulatorServer;
  let dataDir: string;
  beforeAll(async () => {
    simulator = await startSimulatorServer({ clientId: TEST_PLAID_CLIENT_ID, secret: TEST_PLAID_SECRET, port: 0 });
    dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-credentials-'));
  });
  afterAll(async () => {
    await simulator?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const client = (secret: string, baseUrl = simulator.url) => createPlaidClient({ env: 'sandbox', clientId: TEST_PLAID_CLIENT_ID, secret, baseUrl });

  it('passes with the right keys, in one /institutions/get call', async () => {
    simulator.simulator.control.resetCalls();
    await expect(checkPlaidCredentials(client(TEST_PLAID_SECRET), { env: 'sandbox', logger })).resolves.toBeUndefined();
    expect(simulator.simulator.control.calls()).toEqual({ '/institutions/get': 1 });
  });

  it('fails with a line naming the environment when Plaid refuses the keys', async () => {
    await expect(checkPlaidCredentials(client('a-production-secret'), { env: 'sandbox', logger })).rejects.toThrow(
      /^Plaid refused PLAID_CLIENT_ID \/ PLAID_SECRET for its sandbox environment \(INVALID_API_KEYS\)/,
    );
  });

  it('lets the start go on when Plaid cannot be reached (an outage is not a configuration error)', async () => {
    await expect(checkPlaidCredentials(client(TEST_PLAID_SECRET, 'http://127.0.0.1:9'), { env: 'sandbox', logger })).resolves.toBeUndefined();
  });

  it('stops `npm start` with exit 1 and that one line, before it touches the database', async () => {
    const result = await start({
      DATA_DIR: dataDir, PLAID_ENV: 'sandbox', PLAID_CLIENT_ID: TEST_PLAID_CLIENT_ID, PLAID_SECRET: 'a-production-secret',
      PLAID_BASE_URL: simulator.url, TOKEN_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`, API_TOKENS: 'a-long-enough-api-token',
      ADMIN_PASSWORD: 'correct horse battery', PUBLIC_URL: 'http://127.0.0.1:3000', WEBHOOK_URL: 'https://sync.example.com/webhooks/plaid',
      PORT: '0', LOG_LEVEL: 'silent',
      // Nothing listens there: a start that got past the check would fail on the database instead.
      DATABASE_URL: 'postgres://nobody@127.0.0.1:9/nothing',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^plaid-sync: Plaid refused PLAID_CLIENT_ID \/ PLAID_SECRET for its sandbox environment \(INVALID_API_KEYS\)/);
    expect(result.stderr).not.toContain('a-production-secret');
  }, 60_000);
});
