import { setupServer } from 'msw/node';
import { Products, TransactionsUpdateStatus } from 'plaid';
import type { Transaction } from 'plaid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { expectPlaidError, mswSimulator, plaidClient, webhookRecorder } from './support.js';

const server = setupServer();
const plaid = plaidClient();
let sim: Simulator | undefined;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  server.resetHandlers();
});
afterAll(() => server.close());

const TODAY = '2026-03-15';
const CUTOFF = '2026-02-13';

describe('products without accounts', () => {
  it('answers NO_INVESTMENT_ACCOUNTS and NO_LIABILITY_ACCOUNTS for an Item without such accounts, and adds no product', async () => {
    sim = mswSimulator(server);
    // Linked for transactions: checking, savings and a credit card; linked for investments: brokerage and 401k.
    // Only the products' accounts (Sandbox's full set would give every Item investment and loan accounts).
    const { itemId, accessToken } = sim.control.createItem({ institutionId: 'ins_109508', products: [Products.Transactions], accountSet: 'products' });
    const brokerage = sim.control.createItem({ institutionId: 'ins_109508', products: [Products.Investments], accountSet: 'products' });

    const holdings = await expectPlaidError(plaid.investmentsHoldingsGet({ access_token: accessToken }));
    expect(holdings).toMatchObject({ status: 400, data: { error_type: 'ITEM_ERROR', error_code: 'NO_INVESTMENT_ACCOUNTS' } });
    const trades = await expectPlaidError(plaid.investmentsTransactionsGet({ access_token: accessToken, start_date: '2026-01-01', end_date: TODAY }));
    expect(trades.data.error_code).toBe('NO_INVESTMENT_ACCOUNTS');
    const liabilities = await expectPlaidError(plaid.liabilitiesGet({ access_token: brokerage.accessToken }));
    expect(liabilities).toMatchObject({ status: 400, data: { error_type: 'ITEM_ERROR', error_code: 'NO_LIABILITY_ACCOUNTS' } });

    const { data } = await plaid.itemGet({ access_token: accessToken });
    expect(data.item.products).toEqual([Products.Transactions]);
    expect(sim.control.item(itemId).products).toEqual([Products.Transactions]);
    expect(sim.control.item(brokerage.itemId).products).toEqual([Products.Investments]);
  });

  it('still answers PRODUCTS_NOT_SUPPORTED where the institution lacks the product', async () => {
    sim = mswSimulator(server);
    const { accessToken } = sim.control.createItem({ institutionId: 'ins_109512', products: [Products.Transactions] });
    expect((await expectPlaidError(plaid.investmentsHoldingsGet({ access_token: accessToken }))).data.error_code).toBe('PRODUCTS_NOT_SUPPORTED');
  });
});

describe('phased readiness', () => {
  it('answers PRODUCT_NOT_READY to async_update until the historical update, which sends INVESTMENTS_TRANSACTIONS: HISTORICAL_UPDATE', async () => {
    const hooks = webhookRecorder();
    sim = mswSimulator(server, { deliverWebhook: hooks.deliver, today: TODAY, timeScale: 0.001 });
    const { itemId, accessToken } = sim.control.createItem({ products: [Products.Investments], ready: false, webhook: 'https://hooks.test/h' });
    const request = { access_token: accessToken, start_date: '2024-03-15', end_date: TODAY, options: { async_update: true } };

    // Holdings are extracted during Link; only the transaction history is asynchronous.
    expect((await plaid.investmentsHoldingsGet({ access_token: accessToken })).data.holdings.length).toBeGreaterThan(0);
    expect(await expectPlaidError(plaid.investmentsTransactionsGet(request))).toMatchObject({ status: 400, data: { error_type: 'ITEM_ERROR', error_code: 'PRODUCT_NOT_READY' } });
    // Without async_update Plaid holds the call until the data is there; the simulator answers at once.
    expect((await plaid.investmentsTransactionsGet({ ...request, options: {} })).data.total_investment_transactions).toBeGreaterThan(0);

    sim.control.markReady(itemId, 'initial');
    expect((await expectPlaidError(plaid.investmentsTransactionsGet(request))).data.error_code).toBe('PRODUCT_NOT_READY');
    sim.control.markReady(itemId, 'historical');
    await sim.control.idle();
    expect(hooks.codes()).toEqual(['INVESTMENTS_TRANSACTIONS:HISTORICAL_UPDATE']);
    expect(hooks.received[0]!.payload).toMatchObject({ item_id: itemId, error: null, cancelled_investments_transactions: 0 });
    expect((await plaid.investmentsTransactionsGet(request)).data.total_investment_transactions).toBeGreaterThan(0);
  });

  it('runs the phases of an Item made through Link on its own, with the time scale: nothing, the last 30 days, then the history', async () => {
    const hooks = webhookRecorder();
    // Real time: the initial update 1 s after Link, the historical one 4 s after (room for a loaded machine).
    sim = mswSimulator(server, { deliverWebhook: hooks.deliver, today: TODAY, timeScale: 0.001, readiness: { initialMs: 1_000_000, historicalMs: 4_000_000 } });
    const { data: created } = await plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Transactions],
      options: { webhook: 'https://hooks.test/h' },
    });
    const { data: exchanged } = await plaid.itemPublicTokenExchange({ public_token: created.public_token });
    const token = exchanged.access_token;

    const first = (await plaid.transactionsSync({ access_token: token })).data;
    expect(first).toMatchObject({ added: [], next_cursor: '', transactions_update_status: TransactionsUpdateStatus.NotReady });

    const initialHook = await waitFor(() => hooks.received.find((h) => h.payload.initial_update_complete === true));
    expect(initialHook.payload).toMatchObject({ webhook_code: 'SYNC_UPDATES_AVAILABLE', historical_update_complete: false });
    const recent = (await plaid.transactionsSync({ access_token: token, count: 500 })).data;
    expect(recent.transactions_update_status).toBe(TransactionsUpdateStatus.InitialUpdateComplete);
    expect(recent.added.length).toBeGreaterThan(0);
    expect(recent.added.every((t) => t.date >= CUTOFF)).toBe(true);

    await waitFor(() => hooks.received.find((h) => h.payload.historical_update_complete === true));
    const seen = new Map<string, Transaction>(recent.added.map((t) => [t.transaction_id, t]));
    let cursor = recent.next_cursor;
    for (;;) {
      const page = (await plaid.transactionsSync({ access_token: token, cursor, count: 500 })).data;
      expect(page.transactions_update_status).toBe(TransactionsUpdateStatus.HistoricalUpdateComplete);
      expect(page.modified).toEqual([]);
      for (const t of page.added) {
        expect(seen.has(t.transaction_id)).toBe(false);
        expect(t.date < CUTOFF).toBe(true);
        seen.set(t.transaction_id, t);
      }
      cursor = page.next_cursor;
      if (!page.has_more) break;
    }
    const truth = sim.control.truth(exchanged.item_id);
    expect(seen.size).toBe(truth.count);
    for (const t of truth.transactions()) expect(seen.get(t.transaction_id)).toEqual(t);
  });
});

async function waitFor<T>(find: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting for the webhook');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
