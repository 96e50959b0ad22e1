import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKeyring } from '../../src/vault/keyring.js';
import { TokenVault } from '../../src/vault/token-vault.js';
import { TEST_ADMIN_PASSWORD, TEST_API_TOKEN, TEST_PLAID_CLIENT_ID, TEST_PLAID_SECRET } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';
import { startDeliveringSimulator } from '../support/webhook-e2e.js';
import { eventually, insertItem, only } from '../support/webhook-items.js';
import { percentile } from '../support/webhook-service.js';

/**
 * Acknowledgement latency as Plaid sees it: the service in a process of its own (as deployed), the
 * simulator signing and delivering over HTTP from this one, at a steady 200 webhooks a second.
 */
describe('webhook acknowledgement latency, service in its own process', () => {
  let database: TestDatabase;
  let simulator: Awaited<ReturnType<typeof startDeliveringSimulator>>;
  let service: ServiceProcess;
  let dataDir: string;
  let vault: TokenVault;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = await startDeliveringSimulator(77);
    dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-latency-'));
    const keyText = `latency:${randomBytes(32).toString('base64')}`;
    vault = new TokenVault(parseKeyring(keyText));
    service = await spawnService({
      DATABASE_URL: database.url, DATA_DIR: dataDir, PLAID_ENV: 'sandbox', PLAID_CLIENT_ID: TEST_PLAID_CLIENT_ID,
      PLAID_SECRET: TEST_PLAID_SECRET, PLAID_BASE_URL: simulator.url, TOKEN_ENCRYPTION_KEY: keyText,
      API_TOKENS: TEST_API_TOKEN, ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, LOG_LEVEL: 'info', WORKER_CONCURRENCY: '4',
    });
  }, 60_000);
  afterAll(async () => {
    expect(await service?.stop()).toBe(0);
    await simulator?.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints p50 and p99 at 200 webhooks a second; every webhook is recorded', async () => {
    const items = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const created = simulator.control.createItem({ products: [Products.Transactions], webhook: `${service.url}/webhooks/plaid`, transactionCount: 5 });
        await insertItem({ sql: database.sql, vault }, { plaidItemId: created.itemId, accessToken: created.accessToken });
        return created;
      }),
    );
    // Warm-up: the first delivery fetches the signing key.
    simulator.control.newAccountsAvailable(items[0]!.itemId);
    await simulator.control.idle();
    simulator.deliveries.latenciesMs.length = 0;
    simulator.deliveries.statuses.length = 0;

    const rate = 200;
    const total = rate * 5;
    const start = Date.now();
    for (let sent = 0; sent < total; ) {
      // 10 every 50 ms; each body differs (a new consent expiry), so none is a duplicate.
      for (let i = 0; i < 10; i++, sent++) {
        simulator.control.pendingExpiration(items[sent % items.length]!.itemId, new Date(start + 86_400_000 + sent * 1000).toISOString());
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + (sent / rate) * 1000 - Date.now())));
    }
    await simulator.control.idle();
    const latencies = [...simulator.deliveries.latenciesMs].sort((a, b) => a - b);
    process.stdout.write(
      `webhook acknowledgement latency, service process, ${rate}/s over ${latencies.length} webhooks: ` +
        `p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms\n`,
    );
    expect(simulator.deliveries.statuses.every((status) => status === 200)).toBe(true);
    const { count } = only(await database.sql<{ count: number }[]>`
      select count(*)::int as count from webhook_events where webhook_code = 'PENDING_EXPIRATION' and status in ('received', 'processed')`);
    expect(count).toBe(total);
    await eventually(async () => {
      const { open } = only(await database.sql<{ open: number }[]>`select count(*)::int as open from webhook_events where status = 'received'`);
      return open === 0 ? true : undefined;
    }, 30_000, 'item webhooks applied');
  }, 90_000);
});
