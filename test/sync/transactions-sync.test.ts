import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { RemovedTransaction, Transaction } from 'plaid';
import { MAX_PAGINATION_PASSES } from '../../src/plaid/products/transactions.js';
import { STAGED_KIND, TransactionStager } from '../../src/sync/transaction-staging.js';
import { connectDatabase } from '../../src/db/client.js';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import {
  expectTransactionsMatchTruth, itemRow, runRows, seedItem, stagedRowCount, storedTransactions, syncHarness, type SeededItem, type SyncHarness,
} from '../support/sync-harness.js';

let database: TestDatabase;
let sim: TestSimulator;
let harness: SyncHarness;
/** Called after each fetched page of any run of `harness` (set per test). */
let onPage: ((page: number) => void | Promise<void>) | null = null;

beforeAll(async () => {
  database = await createTestDatabase();
  sim = startTestSimulator();
  harness = syncHarness(database, { hooks: { afterPage: ({ page }) => onPage?.(page) } });
});

afterAll(async () => {
  await harness.engine.stop(0);
  await sim.close();
  await database.drop();
});

const seed = (options: Parameters<typeof seedItem>[4] = {}) => seedItem(database.db, sim.control, harness.vault, harness.plaid, options);
const run = (item: SeededItem, extra: { fromScratch?: boolean } = {}) =>
  harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'api', ...extra });

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metrics = await harness.metrics.registry.getMetricsAsJSON();
  const values = metrics.flatMap((m) => m.values.map((v) => ({ ...v, name: (v as { metricName?: string }).metricName ?? m.name })));
  const value = values.find((v) => v.name === name && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

describe('transactions sync', () => {
  it('pulls several pages and stores exactly the simulator truth', async () => {
    const item = await seed({ transactionCount: 1_234 });
    const outcome = await run(item);
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 3, added: 1_234, modified: 0, removed: 0 }, changed: true });
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    const [row] = await runRows(database.db, item.itemId);
    expect(row).toMatchObject({ status: 'succeeded', trigger: 'api', pages: 3, added: 1_234 });
    expect(row!.finished_at).not.toBeNull();
    expect((await itemRow(database.db, item.itemId)).transactions_cursor).toBeTruthy();
    expect(await stagedRowCount(database.db)).toBe(0);
  });

  it('applies additions, modifications, removals and pending → posted on the next run', async () => {
    const item = await seed({ transactionCount: 300 });
    await run(item);
    const change = sim.control.advance(item.plaidItemId, { added: 40, modified: 25, removed: 10, posted: 3 });
    expect(change.posted).toHaveLength(3);
    const outcome = await run(item);
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { added: 43, modified: 25, removed: 13 } });
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    const stored = new Map((await storedTransactions(database.db, item.itemId)).map((t) => [t.id, t]));
    for (const { pending_transaction_id: pendingId, transaction_id: postedId } of change.posted) {
      expect(stored.has(pendingId)).toBe(false);
      expect(stored.get(postedId)).toMatchObject({ pending: false, pending_transaction_id: pendingId });
    }
    for (const removed of change.removed) expect(stored.has(removed)).toBe(false);
  });

  it('answers an unchanged item with a clean run that changes nothing', async () => {
    const item = await seed({ transactionCount: 20 });
    await run(item);
    const outcome = await run(item);
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 1, added: 0, modified: 0, removed: 0 }, changed: false });
  });

  it('refreshes balances from the accounts Plaid returns', async () => {
    const item = await seed({ transactionCount: 60 });
    await database.db.execute(sql`update plaid_accounts set balance_current = null where item_id = ${item.itemId}`);
    await run(item);
    const rows = await database.db.execute<{ plaid_account_id: string; current: string | null }>(sql`
      select plaid_account_id, balance_current::text as current from plaid_accounts where item_id = ${item.itemId}`);
    const truth = new Map(sim.control.accountsTruth(item.plaidItemId).map((a) => [a.account_id, a.balances.current]));
    const withTransactions = new Set((await storedTransactions(database.db, item.itemId)).map((t) => t.account));
    for (const row of rows) {
      if (withTransactions.has(row.plaid_account_id)) expect(row.current).toBe(String(truth.get(row.plaid_account_id)));
    }
  });

  it('restarts from the starting cursor when the data changes mid-pagination, and ends exact', async () => {
    const item = await seed({ transactionCount: 1_100 });
    await run(item);
    sim.control.advance(item.plaidItemId, { added: 900 });
    let mutated = false;
    onPage = (page) => {
      if (page === 1 && !mutated) {
        mutated = true;
        sim.control.advance(item.plaidItemId, { added: 5, modified: 7, removed: 3, posted: 2 });
      }
    };
    try {
      const outcome = await run(item);
      expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 2 } });
    } finally {
      onPage = null;
    }
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    expect(await metricValue('sync_error_total', { product: 'transactions', error_code: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION' })).toBeGreaterThanOrEqual(1);
  });

  it('merges a long history in chunks, and a restart after some chunks were merged still ends exact', async () => {
    const item = await seed({ transactionCount: 21_000 });
    let mutated = false;
    onPage = (page) => {
      // Past the first merged chunk (10,000 rows = 20 pages): the restart must undo what was merged.
      if (page === 25 && !mutated) {
        mutated = true;
        sim.control.advance(item.plaidItemId, { added: 30, modified: 20, removed: 10, posted: 3 });
      }
    };
    try {
      const outcome = await run(item);
      expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 43 } });
    } finally {
      onPage = null;
    }
    expect(mutated).toBe(true);
    await expectTransactionsMatchTruth(database.db, sim.control, item);
    expect(await stagedRowCount(database.db)).toBe(0);
  });

  it('gives up after a bounded number of restarts, writing nothing', async () => {
    const item = await seed({ transactionCount: 1_100 });
    sim.control.failNextPagination(item.plaidItemId, MAX_PAGINATION_PASSES);
    const outcome = await run(item);
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION', kind: 'restart_pagination' } });
    expect(await storedTransactions(database.db, item.itemId)).toHaveLength(0);
    expect(await itemRow(database.db, item.itemId)).toMatchObject({ status: 'active', transactions_cursor: null });
    expect((await runRows(database.db, item.itemId))[0]).toMatchObject({ status: 'failed', error_code: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION' });
    expect(await stagedRowCount(database.db)).toBe(0);
  });

  it('re-pulls from scratch and drops rows Plaid no longer lists', async () => {
    const item = await seed({ transactionCount: 80 });
    await run(item);
    await database.db.execute(sql`
      insert into plaid_transactions (plaid_transaction_id, account_id, item_id, amount, date, name)
      values ('ghost-transaction', ${item.accounts[0]!.id}, ${item.itemId}, '1.00', '2024-01-01', 'ghost')`);
    const outcome = await run(item, { fromScratch: true });
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { added: 80 } });
    await expectTransactionsMatchTruth(database.db, sim.control, item);
  });

  it('retries transient Plaid errors with backoff and counts each one', async () => {
    const item = await seed({ transactionCount: 10 });
    harness.timers.delays.length = 0;
    sim.control.addFault({ endpoint: '/transactions/sync', kind: 'internal_error', count: 2 });
    const before = await metricValue('sync_error_total', { product: 'transactions', error_code: 'INTERNAL_SERVER_ERROR' });
    const outcome = await run(item);
    expect(outcome.status).toBe('succeeded');
    expect(harness.timers.delays).toHaveLength(2);
    expect(harness.timers.delays[1]!).toBeGreaterThan(harness.timers.delays[0]!);
    expect(await metricValue('sync_error_total', { product: 'transactions', error_code: 'INTERNAL_SERVER_ERROR' })).toBe(before + 2);
    await expectTransactionsMatchTruth(database.db, sim.control, item);
  });

  it('waits out a rate-limited /transactions/sync for the window instead of backing off', async () => {
    const item = await seed({ transactionCount: 10 });
    harness.timers.delays.length = 0;
    sim.control.addFault({ endpoint: '/transactions/sync', kind: 'rate_limit', count: 1 });
    expect((await run(item)).status).toBe('succeeded');
    expect(harness.timers.delays).toEqual([]);
    await expectTransactionsMatchTruth(database.db, sim.control, item);
  });

  it('gives up on a rate limit that lets no page through', async () => {
    const item = await seed({ transactionCount: 10 });
    sim.control.addFault({ endpoint: '/transactions/sync', kind: 'rate_limit', count: 20 });
    const outcome = await run(item);
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'TRANSACTIONS_SYNC_LIMIT' } });
    sim.control.clearFaults();
  });

  it('keeps the finish time of the last successful run per (item, product); a failed run leaves it', async () => {
    const item = await seed({ transactionCount: 10 });
    const lastSucceeded = async () =>
      (await database.sql<{ at: string | null }[]>`
        select to_json(last_succeeded_at)#>>'{}' as at from sync_state where item_id = ${item.itemId} and product = 'transactions'`)[0]?.at ?? null;
    const finishedAt = async (runId: string) =>
      (await database.sql<{ at: string }[]>`select to_json(finished_at)#>>'{}' as at from sync_runs where id = ${runId}`)[0]!.at;

    const itemStalest = async () =>
      (await database.sql<{ at: string | null }[]>`
        select to_json(stalest_success_at)#>>'{}' as at from plaid_items where id = ${item.itemId}`)[0]!.at;

    expect(await lastSucceeded()).toBeNull();
    const first = await run(item);
    expect(await lastSucceeded()).toBe(await finishedAt(first.runId!));
    // The item's sort key follows (its only product is transactions).
    expect(await itemStalest()).toBe(await finishedAt(first.runId!));
    const second = await run(item);
    expect(await lastSucceeded()).toBe(await finishedAt(second.runId!));
    sim.control.addFault({ endpoint: '/transactions/sync', kind: 'planned_maintenance', count: 5 });
    expect(await run(item)).toMatchObject({ status: 'failed' });
    expect(await lastSucceeded()).toBe(await finishedAt(second.runId!));
    expect(await itemStalest()).toBe(await finishedAt(second.runId!));
  });

  it('fails the run, but not the item, when transient errors outlast the retries', async () => {
    const item = await seed({ transactionCount: 10 });
    sim.control.addFault({ endpoint: '/transactions/sync', kind: 'planned_maintenance', count: 5 });
    const outcome = await run(item);
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'PLANNED_MAINTENANCE', kind: 'transient' } });
    expect((await itemRow(database.db, item.itemId)).status).toBe('active');
  });

  it('moves the item to needs_reauth on ITEM_LOGIN_REQUIRED, and back to active after a clean sync', async () => {
    const item = await seed({ transactionCount: 10 });
    sim.control.loginRequired(item.plaidItemId);
    const failed = await run(item);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'ITEM_LOGIN_REQUIRED', kind: 'needs_reauth' } });
    expect(await itemRow(database.db, item.itemId)).toMatchObject({ status: 'needs_reauth', error_code: 'ITEM_LOGIN_REQUIRED' });
    sim.control.repairLogin(item.plaidItemId);
    expect((await run(item)).status).toBe('succeeded');
    expect(await itemRow(database.db, item.itemId)).toMatchObject({ status: 'active', error_code: null });
  });

  it('records any other permanent error on the item, which stays active, and a clean sync clears it', async () => {
    const item = await seed({ transactionCount: 10 });
    const [stored] = await database.db.execute<{ ciphertext: string; key_id: string }>(
      sql`select access_token_ciphertext as ciphertext, access_token_key_id as key_id from plaid_items where id = ${item.itemId}`,
    );
    // A well-formed token the simulator never issued: Plaid's INVALID_ACCESS_TOKEN, which no retry fixes.
    const unknown = harness.vault.encrypt(`access-sandbox-${randomUUID()}`, item.plaidItemId);
    await database.db.execute(sql`update plaid_items set access_token_ciphertext = ${unknown.ciphertext}, access_token_key_id = ${unknown.keyId} where id = ${item.itemId}`);
    expect(await run(item)).toMatchObject({ status: 'failed', error: { code: 'INVALID_ACCESS_TOKEN', kind: 'fatal' } });
    expect(await itemRow(database.db, item.itemId)).toMatchObject({ status: 'active', error_code: 'INVALID_ACCESS_TOKEN' });

    await database.db.execute(sql`update plaid_items set access_token_ciphertext = ${stored!.ciphertext}, access_token_key_id = ${stored!.key_id} where id = ${item.itemId}`);
    expect((await run(item)).status).toBe('succeeded');
    expect(await itemRow(database.db, item.itemId)).toMatchObject({ status: 'active', error_code: null });
  });

  it.each([
    ['ITEM_NOT_FOUND', (id: string) => sim.control.revokeItem(id)],
    ['USER_PERMISSION_REVOKED', (id: string) => sim.control.revokePermission(id)],
  ])('disconnects the item with soft delete on %s, and never writes it again', async (code, revoke) => {
    const item = await seed({ transactionCount: 10 });
    await run(item);
    revoke(item.plaidItemId);
    expect(await run(item)).toMatchObject({ status: 'failed', error: { code, kind: 'revoked' } });
    expect((await itemRow(database.db, item.itemId)).status).toBe('disconnected');
    const statuses = await database.db.execute<{ status: string }>(sql`select distinct status from plaid_accounts where item_id = ${item.itemId}`);
    expect([...statuses].map((r) => r.status)).toEqual(['inactive']);
    expect(await storedTransactions(database.db, item.itemId)).toHaveLength(10);
    expect(await run(item)).toEqual({ status: 'skipped', runId: null, reason: 'item_disconnected' });
  });

  it('writes nothing when the item is disconnected while the run is fetching', async () => {
    const item = await seed({ transactionCount: 20 });
    onPage = async () => {
      await database.db.execute(sql`update plaid_items set status = 'disconnected' where id = ${item.itemId}`);
    };
    try {
      expect(await run(item)).toMatchObject({ status: 'failed', error: { code: 'ITEM_DISCONNECTED' } });
    } finally {
      onPage = null;
    }
    expect(await storedTransactions(database.db, item.itemId)).toHaveLength(0);
    expect((await itemRow(database.db, item.itemId)).transactions_cursor).toBeNull();
  });

  it('skips items that do not exist', async () => {
    const outcome = await harness.engine.run({ itemId: '00000000-0000-4000-8000-000000000000', product: 'transactions', trigger: 'api' });
    expect(outcome).toEqual({ status: 'skipped', runId: null, reason: 'item_not_found' });
  });

  it('records latency, completion and a structured sync_complete line', async () => {
    const item = await seed({ transactionCount: 15 });
    const before = await metricValue('sync_complete_total', { product: 'transactions' });
    await harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'webhook' });
    expect(await metricValue('sync_complete_total', { product: 'transactions' })).toBe(before + 1);
    expect(await metricValue('sync_latency_seconds_count', { product: 'transactions', trigger: 'webhook', outcome: 'succeeded' })).toBe(1);
    const line = harness.logs.find((l) => l.msg === 'sync_complete' && l.item_id === item.itemId);
    expect(line).toMatchObject({ product: 'transactions', trigger: 'webhook', added: 15, modified: 0, removed: 0 });
    expect(typeof line!.durationMs).toBe('number');
    expect(JSON.stringify(harness.logs)).not.toContain('access-sandbox');
  });
});

describe('transaction staging', () => {
  const transaction = (overrides: Partial<Transaction>): Transaction => ({
    transaction_id: 'txn-plain', account_id: 'acc-1', amount: 12.34, iso_currency_code: 'USD', unofficial_currency_code: null,
    date: '2024-03-01', authorized_date: null, name: 'Coffee', merchant_name: null, pending: false, pending_transaction_id: null,
    personal_finance_category: { primary: 'FOOD_AND_DRINK', detailed: 'FOOD_AND_DRINK_COFFEE', confidence_level: 'VERY_HIGH' },
    payment_channel: 'in store',
    ...overrides,
  }) as Transaction;

  it('stages text with tabs, line breaks, backslashes and non-ASCII exactly, and nulls as nulls', async () => {
    const runId = randomUUID();
    const stager = await TransactionStager.open(database.sql, runId, 7);
    const awkward = transaction({ transaction_id: 'txn-awkward', name: 'a\tb\nc\r\\N d\\', merchant_name: 'Café Ünïcode ☕', amount: -0.1 });
    // String(1e-7) is '1e-7': COPY reads exponent notation into numeric exactly.
    const modified = transaction({ transaction_id: 'txn-plain', amount: 1e-7, pending: true, pending_transaction_id: 'txn-pending', personal_finance_category: null });
    const removed: RemovedTransaction = { transaction_id: 'txn-gone', account_id: 'acc-2' };
    await stager.write({ added: [awkward], modified: [], removed: [] });
    await stager.write({ added: [], modified: [], removed: [] });
    await stager.write({ added: [transaction({})], modified: [modified], removed: [removed] });
    expect(stager.nextSeq).toBe(11);
    await stager.finish();
    const rows = await database.sql<Record<string, unknown>[]>`
      select seq, kind, transaction_id, account_id, amount::text, name, merchant_name, pending, pending_transaction_id,
        category_primary, authorized_date, date::text
      from sync_staged_transactions where run_id = ${runId} order by seq`;
    expect(rows).toEqual([
      expect.objectContaining({ seq: 7, kind: STAGED_KIND.added, transaction_id: 'txn-awkward', amount: '-0.1', name: 'a\tb\nc\r\\N d\\', merchant_name: 'Café Ünïcode ☕', pending: false, authorized_date: null, date: '2024-03-01' }),
      expect.objectContaining({ seq: 8, kind: STAGED_KIND.added, transaction_id: 'txn-plain', amount: '12.34', name: 'Coffee', merchant_name: null, category_primary: 'FOOD_AND_DRINK' }),
      expect.objectContaining({ seq: 9, kind: STAGED_KIND.modified, amount: '0.0000001', pending: true, pending_transaction_id: 'txn-pending', category_primary: null }),
      expect.objectContaining({ seq: 10, kind: STAGED_KIND.removed, transaction_id: 'txn-gone', account_id: 'acc-2', amount: null, name: null, pending: null }),
    ]);
    await database.sql`delete from sync_staged_transactions where run_id = ${runId}`;
  });

  it('ends with the server\'s error when it refuses rows only after the COPY was ended, and frees its connection', async () => {
    const runId = randomUUID();
    // Fewer connections than attempts: a refused COPY that kept its connection would block the next ones.
    const pool = connectDatabase(databaseUrl(database.name), { max: 2 });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const stager = await TransactionStager.open(pool.sql, runId);
        await stager.write({ added: [transaction({}), transaction({ account_id: null as unknown as string })], modified: [], removed: [] });
        await expect(stager.finish()).rejects.toThrow(/account_id/);
      }
    } finally {
      await pool.sql.end({ timeout: 0 });
    }
    expect(await stagedRowCount(database.db)).toBe(0);
  });
});
