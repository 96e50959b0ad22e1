import { randomUUID } from 'node:crypto';
import axios, { isAxiosError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import type { Transaction } from 'plaid';
import { describe, expect, it } from 'vitest';
import { plaidAccounts, plaidItems } from '../../src/db/schema/index.js';
import { isStorableText, mayHoldUnstorableText, storableJson, storableText } from '../../src/db/storable-text.js';
import { createPlaidClient, type PlaidAxios } from '../../src/plaid/client.js';
import { TransactionStager } from '../../src/sync/transaction-staging.js';
import { apiClient } from '../support/api-client.js';
import { buildTestApp } from '../support/app.js';
import { useSyncFixture } from '../support/sync-fixture.js';
import { itemRow, seedItem, type SeededItem } from '../support/sync-harness.js';

/**
 * Text PostgreSQL cannot store, from Plaid and from users: one NUL or unpaired surrogate in one
 * value used to fail every write of the item's data, so its cursor never moved again.
 */
const fx = useSyncFixture();

const POISON = 'poison\u0000name';
const LONE_HIGH = 'lone \uD800 high';
const LONE_LOW = 'lone \uDC00 low';

const run = (item: SeededItem) => fx.harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'webhook' });

async function storedNames(itemId: string): Promise<string[]> {
  const rows = await fx.database.db.execute<{ name: string }>(sql`select name from plaid_transactions where item_id = ${itemId}`);
  return rows.map((row) => row.name);
}

describe('a transaction Plaid names with a NUL or an unpaired surrogate', () => {
  it('syncs in a one-page update (the jsonb write): the cursor moves and the text is stored cleaned', async () => {
    const item = await seedItem(fx.database.db, fx.sim.control, fx.harness.vault, fx.harness.plaid, { transactionCount: 20 });
    expect(await run(item)).toMatchObject({ status: 'succeeded' });
    const before = (await itemRow(fx.database.db, item.itemId)).transactions_cursor;
    fx.sim.control.advance(item.plaidItemId, { added: 3, names: [POISON, LONE_HIGH, LONE_LOW] });

    expect(await run(item)).toMatchObject({ status: 'succeeded', counts: { pages: 1, added: 3 } });
    expect((await itemRow(fx.database.db, item.itemId)).transactions_cursor).not.toBe(before);
    const names = await storedNames(item.itemId);
    expect(names).toEqual(expect.arrayContaining(['poisonname', 'lone \uFFFD high', 'lone \uFFFD low']));
    expect(fx.harness.logs.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('syncs in a multi-page update (the staged COPY path)', async () => {
    const item = await seedItem(fx.database.db, fx.sim.control, fx.harness.vault, fx.harness.plaid, { transactionCount: 700 });
    fx.sim.control.advance(item.plaidItemId, { added: 2, names: [POISON, `tab\tand ${POISON}\\`] });

    const outcome = await run(item);
    if (outcome.status !== 'succeeded') throw new Error(`the run ${outcome.status}`);
    expect(outcome.counts.pages).toBeGreaterThan(1);
    expect((await itemRow(fx.database.db, item.itemId)).transactions_cursor).not.toBeNull();
    expect(await storedNames(item.itemId)).toEqual(expect.arrayContaining(['poisonname', 'tab\tand poisonname\\']));
  });
});

describe('the Plaid client, for every endpoint', () => {
  /** A Plaid that answers every call with `body` (and `status`), poison included, without a network. */
  function plaidAnswering(status: number, body: object) {
    const instance = axios.create({
      adapter: (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
        const response = { data: JSON.stringify(body), status, statusText: 'x', headers: { 'content-type': 'application/json' }, config };
        return status < 400 ? Promise.resolve(response) : Promise.reject(new axios.AxiosError('failed', 'ERR_BAD_REQUEST', config, null, response));
      },
    });
    return createPlaidClient({ env: 'simulator', clientId: 'c', secret: 's', baseUrl: 'https://plaid.invalid', axios: instance as unknown as PlaidAxios });
  }

  it('cleans accounts, holdings, securities, liabilities and institution names, keys included', async () => {
    const poisoned = {
      accounts: [{ account_id: 'a\u0000', name: POISON, official_name: LONE_HIGH, balances: { iso_currency_code: 'USD' } }],
      securities: [{ security_id: 's', name: `Fund ${LONE_LOW}`, ticker_symbol: 'T\u0000' }],
      liabilities: { credit: [{ aprs: [{ apr_type: POISON }] }] },
      institution: { name: POISON },
      [`odd${POISON}`]: 1,
    };
    const { data } = await plaidAnswering(200, poisoned).accountsGet({ access_token: 'x' });
    const text = JSON.stringify(data);
    expect(text).not.toContain('\\u0000');
    expect(text).not.toMatch(/\\ud[89ab]/i);
    expect(data.accounts[0]).toMatchObject({ account_id: 'a', name: 'poisonname', official_name: 'lone \uFFFD high' });
    expect(data).toHaveProperty('oddpoisonname', 1);
  });

  it('cleans the text of Plaid error bodies too (stored as an item’s last error)', async () => {
    const error = await plaidAnswering(400, { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED', error_message: POISON, display_message: LONE_HIGH })
      .itemGet({ access_token: 'x' })
      .catch((caught: unknown) => caught);
    if (!isAxiosError(error)) throw new Error('expected a Plaid error');
    expect(error.response?.data).toMatchObject({ error_message: 'poisonname', display_message: 'lone \uFFFD high' });
  });
});

describe('the COPY escaping on its own', () => {
  it('drops NUL instead of failing the COPY', async () => {
    const runId = randomUUID();
    const stager = await TransactionStager.open(fx.database.sql, runId);
    const poisoned = {
      transaction_id: 'txn-nul', account_id: 'acc\u0000-1', amount: 1.5, iso_currency_code: 'USD', unofficial_currency_code: null,
      date: '2024-03-01', authorized_date: null, name: POISON, merchant_name: '\u0000', pending: false, pending_transaction_id: null,
      personal_finance_category: { primary: 'FOOD\u0000', detailed: 'X', confidence_level: 'VERY_HIGH' }, payment_channel: 'online',
    } as unknown as Transaction;
    await stager.write({ added: [poisoned], modified: [], removed: [] });
    await stager.finish();
    const rows = await fx.database.sql<{ name: string; merchant_name: string; account_id: string; category_primary: string }[]>`
      select name, merchant_name, account_id, category_primary from sync_staged_transactions where run_id = ${runId}`;
    expect(rows).toEqual([{ name: 'poisonname', merchant_name: '', account_id: 'acc-1', category_primary: 'FOOD' }]);
    await fx.database.sql`delete from sync_staged_transactions where run_id = ${runId}`;
  });
});

describe('the boundary cleaning', () => {
  it('makes any string PostgreSQL can store, inside any JSON shape, keys included', async () => {
    // Each generated value goes through jsonb and text for real: the database is the judge.
    await fc.assert(
      fc.asyncProperty(fc.json({ depthSize: 'small' }).map((text) => JSON.parse(text) as unknown), fc.string({ unit: 'binary' }), async (value, text) => {
        const wrapped = storableJson({ [text]: [value, text, { nested: `${text}\u0000` }] });
        const clean = storableText(text);
        expect(isStorableText(clean)).toBe(true);
        const [row] = await fx.database.sql<{ ok: boolean }[]>`select ${JSON.stringify(wrapped)}::jsonb is not null as ok, ${clean}::text is not null as ok2`;
        expect(row!.ok).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('never skips text the walk would change: the pre-check on the raw JSON has no false negatives', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (key, value) => {
        const text = JSON.stringify({ [key]: [value, { value }] });
        const cleaned = JSON.stringify(storableJson(JSON.parse(text) as unknown));
        if (!mayHoldUnstorableText(text)) expect(cleaned).toBe(text);
      }),
      { numRuns: 2_000 },
    );
    expect(mayHoldUnstorableText(JSON.stringify({ name: POISON }))).toBe(true);
    expect(mayHoldUnstorableText(JSON.stringify({ name: LONE_LOW }))).toBe(true);
    expect(mayHoldUnstorableText(JSON.stringify({ name: 'Café 😀 \u003c' }))).toBe(false);
  });

  it('keeps well-formed text untouched, surrogate pairs included', () => {
    for (const text of ['plain', 'Café ☕', 'emoji 😀 pair', 'a\tb\nc\\']) {
      expect(isStorableText(text)).toBe(true);
      expect(storableText(text)).toBe(text);
    }
    expect(isStorableText(POISON)).toBe(false);
    expect(isStorableText(LONE_HIGH)).toBe(false);
    expect(isStorableText('end \uD83D')).toBe(false);
  });
});

describe('user text through the API', () => {
  async function account(userId: string) {
    const [item] = await fx.database.db
      .insert(plaidItems)
      .values({ userId, plaidItemId: `item-${randomUUID()}`, institutionId: `ins_${randomUUID()}`, accessTokenCiphertext: 'x', accessTokenKeyId: 'k', product: 'transactions' })
      .returning();
    const [row] = await fx.database.db
      .insert(plaidAccounts)
      .values({ itemId: item!.id, userId, plaidAccountId: `acc-${randomUUID()}`, product: 'transactions', name: 'Checking', type: 'depository' })
      .returning();
    return row!;
  }

  it('answers 422 in the one error shape for a NUL or an unpaired surrogate in a nickname or notes, and stores nothing', async () => {
    const { app, logs } = buildTestApp(fx.database);
    const api = apiClient(app);
    const target = await account(api.userId);
    for (const body of [{ nickname: POISON }, { notes: LONE_HIGH }, { nickname: 'ok', notes: `x${LONE_LOW}` }]) {
      const res = await api.patch(`/accounts/${target.id}/settings`, body);
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'validation_failed' });
      expect(JSON.stringify(res.body)).not.toContain('poison');
    }
    const stored = await fx.database.db.execute(sql`select 1 from account_extended where account_id = ${target.id}`);
    expect(stored).toHaveLength(0);
    expect(logs.filter((line) => line.level === 'error')).toEqual([]);
    expect((await api.patch(`/accounts/${target.id}/settings`, { nickname: 'Café 😀' })).status).toBe(200);
  });

  it('answers 422 for a NUL in the exchange’s institution name', async () => {
    const { app } = buildTestApp(fx.database);
    const res = await apiClient(app).post('/plaid/transactions/exchange', {
      public_token: 'public-sandbox-x', product: 'transactions', institution: { institution_id: 'ins_109508', name: POISON },
    });
    expect(res.status).toBe(422);
  });
});
