import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { PlaidApi, Products } from 'plaid';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { plaidAccounts, plaidItems, type Product } from '../../src/db/schema/index.js';
import type { Logger } from '../../src/logger.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { createPlaidClient } from '../../src/plaid/client.js';
import { createPlaidCaller, DEFAULT_BACKOFF, type BackoffTimers } from '../../src/providers/plaid/plaid-call.js';
import { productForAccount } from '../../src/services/account-products.js';
import type { SimulatorControl } from '../../src/simulator/index.js';
import { createSyncEngine, type SyncEngine, type SyncEngineOptions } from '../../src/sync/sync-engine.js';
import { TokenVault } from '../../src/vault/token-vault.js';
import { captureLogs, testConfig } from './app.js';
import type { TestDatabase } from './database.js';
import type { TestSimulator, TestSimulatorOptions } from './simulator.js';
import { useDatabaseAndSimulator } from './test-environment.js';

/** Backoff that never waits, recording the delays it was asked for. */
export function instantTimers(): BackoffTimers & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    random: () => 0.5,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

export interface SyncHarness {
  engine: SyncEngine;
  logger: Logger;
  metrics: Metrics;
  logs: Record<string, unknown>[];
  vault: TokenVault;
  plaid: PlaidApi;
  timers: ReturnType<typeof instantTimers>;
}

/** A real engine against the test database and the msw-routed simulator, with instant backoff. */
export function syncHarness(database: Pick<TestDatabase, 'db' | 'sql'>, overrides: Partial<SyncEngineOptions> = {}): SyncHarness {
  const config = testConfig();
  const logs = captureLogs();
  const metrics = createMetrics();
  const vault = overrides.vault ?? new TokenVault(config.keyring);
  const plaid = createPlaidClient({ ...config.plaid, timeoutMs: 10_000 });
  const timers = instantTimers();
  const engine = createSyncEngine({
    db: database.db,
    sql: database.sql,
    plaid,
    vault,
    logger: logs.logger,
    metrics,
    call: createPlaidCaller(DEFAULT_BACKOFF, timers),
    pollMs: 5,
    // Plaid's window is a minute; tests that exercise it scale it down (and the simulator's with it).
    rateLimitWaitMs: 20,
    // A checkpoint by time depends on the machine's speed: tests that want one ask for it.
    checkpointAfterMs: Number.POSITIVE_INFINITY,
    ...overrides,
  });
  return { engine, logger: logs.logger, metrics, logs: logs.lines, vault, plaid, timers };
}

export interface SeededItem {
  /** Our item id (uuid). */
  itemId: string;
  plaidItemId: string;
  userId: string;
  accounts: { id: string; plaidAccountId: string; product: Product }[];
}

/**
 * A linked item as onboarding leaves it, written straight to the database: the simulator item's
 * access token sealed by the vault, its accounts (from `/accounts/get`) each scoped to a product.
 */
export async function seedItem(
  db: Database,
  control: SimulatorControl,
  vault: TokenVault,
  plaid: PlaidApi,
  options: { products?: Product[]; transactionCount?: number; institutionId?: string; userId?: string; ready?: boolean; webhook?: string } = {},
): Promise<SeededItem> {
  const products = options.products ?? ['transactions'];
  const created = control.createItem({
    products: products as Products[],
    transactionCount: options.transactionCount ?? 40,
    institutionId: options.institutionId ?? 'ins_109508',
    ...(options.ready === undefined ? {} : { ready: options.ready }),
    ...(options.webhook === undefined ? {} : { webhook: options.webhook }),
  });
  const userId = options.userId ?? randomUUID();
  const sealed = vault.encrypt(created.accessToken, created.itemId);
  const [item] = await db
    .insert(plaidItems)
    .values({
      userId,
      plaidItemId: created.itemId,
      institutionId: `${created.institutionId}-${randomUUID()}`,
      accessTokenCiphertext: sealed.ciphertext,
      accessTokenKeyId: sealed.keyId,
      product: products[0],
      products,
      entitledProducts: products,
    })
    .returning({ id: plaidItems.id });
  const { data } = await plaid.accountsGet({ access_token: created.accessToken });
  const rows = await db
    .insert(plaidAccounts)
    .values(
      data.accounts.map((a) => ({
        itemId: item!.id,
        userId,
        plaidAccountId: a.account_id,
        product: productForAccount(a, products[0]!),
        name: a.name,
        type: a.type,
        subtype: a.subtype,
      })),
    )
    .returning({ id: plaidAccounts.id, plaidAccountId: plaidAccounts.plaidAccountId, product: plaidAccounts.product });
  return { itemId: item!.id, plaidItemId: created.itemId, userId, accounts: rows };
}

export type StoredTransaction = {
  id: string;
  account: string;
  amount: string;
  date: string;
  pending: boolean;
  pending_transaction_id: string | null;
  name: string;
};

export async function storedTransactions(db: Database, itemId: string): Promise<StoredTransaction[]> {
  const rows = await db.execute<StoredTransaction>(sql`
    select t.plaid_transaction_id as id, a.plaid_account_id as account, t.amount::text as amount, t.date::text as date,
      t.pending, t.pending_transaction_id, t.name
    from plaid_transactions t join plaid_accounts a on a.id = t.account_id
    where t.item_id = ${itemId} order by t.plaid_transaction_id`);
  return [...rows];
}

/** The database holds exactly the simulator's live transactions for the item, field for field. */
export async function expectTransactionsMatchTruth(db: Database, control: SimulatorControl, item: SeededItem): Promise<void> {
  const stored = await storedTransactions(db, item.itemId);
  const truth = [...control.truth(item.plaidItemId)]
    .map((t) => ({
      id: t.transaction_id,
      account: t.account_id,
      amount: String(t.amount),
      date: t.date,
      pending: t.pending,
      pending_transaction_id: t.pending_transaction_id,
      name: t.name,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  expect(stored.length).toBe(truth.length);
  expect(stored).toEqual(truth);
}

export async function itemRow(db: Database, itemId: string) {
  const rows = await db.execute<{ status: string; transactions_cursor: string | null; unsupported_products: string[]; error_code: string | null }>(sql`
    select status, transactions_cursor, unsupported_products, error_code from plaid_items where id = ${itemId}`);
  return rows[0]!;
}

export async function runRows(db: Database, itemId: string) {
  const rows = await db.execute<{ id: string; product: string; trigger: string; status: string; pages: number; added: number; modified: number; removed: number; error_code: string | null; finished_at: Date | null }>(sql`
    select id, product, trigger, status, pages, added, modified, removed, error_code, finished_at
    from sync_runs where item_id = ${itemId} order by started_at`);
  return [...rows];
}

export async function stagedRowCount(db: Database): Promise<number> {
  const rows = await db.execute<{ n: number }>(sql`
    select (select count(*) from sync_staged_transactions)::int + (select count(*) from sync_staged_records)::int as n`);
  return rows[0]!.n;
}

export interface SyncEnvironment {
  database: TestDatabase;
  sim: TestSimulator;
  harness: SyncHarness;
}

/**
 * A test database, the simulator and a sync harness for the file (or the describe block it is called
 * in): made before its tests, torn down after. Read the fields inside tests and hooks, not before.
 */
export function useSyncEnvironment(options: { simulator?: TestSimulatorOptions; harness?: Partial<SyncEngineOptions> } = {}): SyncEnvironment {
  const base = useDatabaseAndSimulator(options.simulator);
  const env = {} as SyncEnvironment;
  beforeAll(() => {
    env.database = base.database;
    env.sim = base.simulator;
    env.harness = syncHarness(base.database, options.harness);
  });
  // Hooks after the tests run in reverse: the engine stops before the simulator and the database go.
  afterAll(async () => {
    await env.harness?.engine.stop(0);
  });
  return env;
}
