import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Sql } from '../../src/db/client.js';
import { startSimulatorServer, type DeliverWebhook } from '../../src/simulator/index.js';
import { parseKeyring } from '../../src/vault/keyring.js';
import { TokenVault } from '../../src/vault/token-vault.js';
import { TEST_ADMIN_PASSWORD, TEST_API_TOKEN, TEST_PLAID_CLIENT_ID, TEST_PLAID_SECRET } from './app.js';

/** A deterministic PRNG (mulberry32), so kill moments and load replay from a seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Environment for `src/main.ts` processes sharing one database and one encryption key: the key text
 * and a vault for it are returned so the test can seal access tokens the processes will read.
 */
export async function serviceEnvironment(options: { databaseUrl: string; plaidBaseUrl: string; extra?: Record<string, string> }) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'plaid-sync-resilience-'));
  const keyText = `res:${randomBytes(32).toString('base64')}`;
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    DATA_DIR: dataDir,
    PLAID_ENV: 'sandbox',
    PLAID_CLIENT_ID: TEST_PLAID_CLIENT_ID,
    PLAID_SECRET: TEST_PLAID_SECRET,
    PLAID_BASE_URL: options.plaidBaseUrl,
    TOKEN_ENCRYPTION_KEY: keyText,
    API_TOKENS: TEST_API_TOKEN,
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    LOG_LEVEL: 'info',
    QUEUE_POLL_INTERVAL_SECONDS: '0.5',
    WORKER_CONCURRENCY: '3',
    ...options.extra,
  };
  const keyring = parseKeyring(keyText);
  return { env, dataDir, keyring, vault: new TokenVault(keyring) };
}

export interface Acknowledged {
  sha256: string;
  body: string;
}

/**
 * The simulator as an HTTP server delivering its webhooks over HTTP, keeping every delivery the
 * service acknowledged with 200 (the ones it must never lose). `timeScale` shortens Plaid's
 * webhook retry schedule so deliveries refused while the service is down are retried quickly.
 */
export async function startAcknowledgingSimulator(options: { seed: number; timeScale: number }) {
  const acknowledged: Acknowledged[] = [];
  const outcomes = { acknowledged: 0, refused: 0, unreachable: 0 };
  const deliverWebhook: DeliverWebhook = async (url, init) => {
    try {
      const response = await fetch(url, init);
      await response.body?.cancel();
      if (response.status === 200) {
        outcomes.acknowledged++;
        acknowledged.push({ sha256: createHash('sha256').update(init.body).digest('hex'), body: init.body });
      } else {
        outcomes.refused++;
      }
      return { status: response.status };
    } catch (error) {
      outcomes.unreachable++;
      throw error;
    }
  };
  const server = await startSimulatorServer({
    clientId: TEST_PLAID_CLIENT_ID, secret: TEST_PLAID_SECRET, seed: options.seed, timeScale: options.timeScale, port: 0, deliverWebhook,
  });
  return { ...server, control: server.simulator.control, acknowledged, outcomes };
}

/**
 * Acknowledged deliveries with no `webhook_events` row. Plaid's bodies repeat (the same
 * SYNC_UPDATES_AVAILABLE for each change of an item), so deliveries are counted per body hash: each
 * hash needs at least as many rows as it was acknowledged.
 */
export async function acknowledgedButMissing(sql: Sql, acknowledged: readonly Acknowledged[]): Promise<number> {
  const wanted = new Map<string, number>();
  for (const delivery of acknowledged) wanted.set(delivery.sha256, (wanted.get(delivery.sha256) ?? 0) + 1);
  const rows = await sql<{ sha: string; count: number }[]>`
    select body_sha256 as sha, count(*)::int as count from webhook_events where body_sha256 = any(${[...wanted.keys()]}) group by 1`;
  const stored = new Map(rows.map((row) => [row.sha, row.count]));
  let missing = 0;
  for (const [sha, count] of wanted) missing += Math.max(0, count - (stored.get(sha) ?? 0));
  return missing;
}
