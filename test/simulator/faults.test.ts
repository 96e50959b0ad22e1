import { setupServer } from 'msw/node';
import { Products } from 'plaid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/simulator/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { BASE, CLIENT_ID, SECRET, expectPlaidError, mswSimulator, plaidClient } from './support.js';

const server = setupServer();
let sim: Simulator | undefined;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(async () => {
  server.resetHandlers();
  await sim?.close();
  sim = undefined;
});
afterAll(() => server.close());

function post(s: Simulator, path: string, body: object, signal?: AbortSignal): Promise<Response> {
  return s.fetch(new Request(`${BASE}${path}`, {
    method: 'POST', signal,
    headers: { 'content-type': 'application/json', 'PLAID-CLIENT-ID': CLIENT_ID, 'PLAID-SECRET': SECRET },
    body: JSON.stringify(body),
  }));
}

describe('fault injection', () => {
  it('fails the next N calls with the endpoint\'s rate-limit code and counts them', async () => {
    sim = mswSimulator(server);
    const plaid = plaidClient();
    const { accessToken } = sim.control.createItem({ institutionId: 'ins_109508', products: [Products.Transactions, Products.Investments, Products.Liabilities] });
    const expectations: [string, () => Promise<unknown>, string][] = [
      ['/transactions/sync', () => plaid.transactionsSync({ access_token: accessToken }), 'TRANSACTIONS_SYNC_LIMIT'],
      ['/item/get', () => plaid.itemGet({ access_token: accessToken }), 'ITEM_GET_LIMIT'],
      ['/accounts/get', () => plaid.accountsGet({ access_token: accessToken }), 'ACCOUNTS_LIMIT'],
      ['/investments/holdings/get', () => plaid.investmentsHoldingsGet({ access_token: accessToken }), 'INVESTMENT_HOLDINGS_GET_LIMIT'],
      ['/investments/transactions/get', () => plaid.investmentsTransactionsGet({ access_token: accessToken, start_date: '2020-01-01', end_date: '2030-01-01' }), 'INVESTMENT_TRANSACTIONS_LIMIT'],
      ['/liabilities/get', () => plaid.liabilitiesGet({ access_token: accessToken }), 'RATE_LIMIT'],
    ];
    for (const [endpoint, call, code] of expectations) {
      sim.control.addFault({ endpoint, kind: 'rate_limit', count: 2 });
      for (let i = 0; i < 2; i++) {
        expect(await expectPlaidError(call())).toMatchObject({ status: 429, data: { error_type: 'RATE_LIMIT_EXCEEDED', error_code: code } });
      }
      await call();
    }
    expect(sim.control.injectedFaults()).toEqual({
      TRANSACTIONS_SYNC_LIMIT: 2, ITEM_GET_LIMIT: 2, ACCOUNTS_LIMIT: 2, INVESTMENT_HOLDINGS_GET_LIMIT: 2, INVESTMENT_TRANSACTIONS_LIMIT: 2, RATE_LIMIT: 2,
    });
    expect(sim.control.calls('/transactions/sync')).toBe(3);
    expect(sim.control.faults()).toEqual([]);
  });

  it('injects 500, 503, INSTITUTION_DOWN and mutation errors with Plaid\'s status and type', async () => {
    sim = mswSimulator(server);
    const plaid = plaidClient();
    const { accessToken } = sim.control.createItem();
    sim.control.setFaults([
      { kind: 'internal_error', count: 1 },
      { kind: 'planned_maintenance', count: 1 },
      { kind: 'institution_down', count: 1 },
      { endpoint: '/transactions/sync', kind: 'mutation_during_pagination', count: 1 },
    ]);
    const call = () => plaid.transactionsSync({ access_token: accessToken });
    expect(await expectPlaidError(call())).toMatchObject({ status: 500, data: { error_type: 'API_ERROR', error_code: 'INTERNAL_SERVER_ERROR' } });
    expect(await expectPlaidError(call())).toMatchObject({ status: 503, data: { error_type: 'API_ERROR', error_code: 'PLANNED_MAINTENANCE' } });
    expect(await expectPlaidError(call())).toMatchObject({ status: 400, data: { error_type: 'INSTITUTION_ERROR', error_code: 'INSTITUTION_DOWN' } });
    expect(await expectPlaidError(call())).toMatchObject({ status: 400, data: { error_type: 'TRANSACTIONS_ERROR', error_code: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION' } });
    expect((await call()).status).toBe(200);
    expect(sim.control.injectedFaults()).toEqual({
      INTERNAL_SERVER_ERROR: 1, PLANNED_MAINTENANCE: 1, INSTITUTION_DOWN: 1, TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION: 1,
    });
    sim.control.resetStats();
    expect(sim.control.stats()).toMatchObject({ calls: {}, injectedFaults: {} });
  });

  it('fails at the configured rate, the same way for the same seed', async () => {
    const run = async (seed: number) => {
      const s = createSimulator({ clientId: CLIENT_ID, secret: SECRET, seed });
      const { accessToken } = s.control.createItem({ transactionCount: 0 });
      s.control.addFault({ endpoint: '/item/get', kind: 'internal_error', rate: 0.25 });
      const statuses: number[] = [];
      for (let i = 0; i < 400; i++) statuses.push((await post(s, '/item/get', { access_token: accessToken })).status);
      await post(s, '/accounts/get', { access_token: accessToken }).then((r) => expect(r.status).toBe(200));
      expect(s.control.injectedFaults().INTERNAL_SERVER_ERROR).toBe(statuses.filter((c) => c === 500).length);
      await s.close();
      return statuses;
    };
    const first = await run(1);
    const failures = first.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(60);
    expect(failures).toBeLessThan(140);
    expect(await run(1)).toEqual(first);
    expect(await run(2)).not.toEqual(first);
  });

  it('holds a response for a timeout fault until the client gives up, and adds latency', async () => {
    sim = mswSimulator(server);
    const { accessToken } = sim.control.createItem({ transactionCount: 1 });
    sim.control.addFault({ endpoint: '/item/get', kind: 'timeout', count: 1, delayMs: 60_000 });
    const plaid = plaidClient();
    const timedOut = await plaid.itemGet({ access_token: accessToken }, { timeout: 50 }).catch((e: unknown) => e as { code?: string; response?: unknown });
    expect(timedOut).toMatchObject({ code: 'ECONNABORTED' });
    expect((timedOut as { response?: unknown }).response).toBeUndefined();

    sim.control.addFault({ endpoint: '/item/get', kind: 'timeout', count: 1, delayMs: 60_000 });
    const abort = new AbortController();
    const held = post(sim, '/item/get', { access_token: accessToken }, abort.signal);
    abort.abort();
    expect((await held).status).toBe(200);

    sim.control.addFault({ endpoint: '/item/get', kind: 'latency', count: 1, delayMs: 40 });
    const started = performance.now();
    await plaid.itemGet({ access_token: accessToken });
    expect(performance.now() - started).toBeGreaterThanOrEqual(38);
    expect(sim.control.injectedFaults()).toEqual({ TIMEOUT: 2, LATENCY: 1 });
  });

  it('releases held responses when the simulator closes', async () => {
    const s = createSimulator({ clientId: CLIENT_ID, secret: SECRET });
    const { accessToken } = s.control.createItem({ transactionCount: 1 });
    s.control.addFault({ kind: 'timeout', count: 1 });
    const held = post(s, '/item/get', { access_token: accessToken });
    await s.close();
    expect((await held).status).toBe(200);
  });
});

describe('rate limits', () => {
  it('enforces Plaid\'s Sandbox per-item limits per scaled minute when switched on', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, timeScale: 0.01, now: () => now });
    const { accessToken } = sim.control.createItem({ transactionCount: 1, products: [Products.Transactions, Products.Liabilities] });
    for (let i = 0; i < 3; i++) expect((await post(sim, '/transactions/refresh', { access_token: accessToken })).status).toBe(200);
    sim.control.setRateLimits(true);
    expect((await post(sim, '/transactions/refresh', { access_token: accessToken })).status).toBe(200);
    expect((await post(sim, '/transactions/refresh', { access_token: accessToken })).status).toBe(200);
    const limited = await post(sim, '/transactions/refresh', { access_token: accessToken });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error_type: 'RATE_LIMIT_EXCEEDED', error_code: 'TRANSACTIONS_REFRESH_LIMIT' });

    const statuses: number[] = [];
    for (let i = 0; i < 51; i++) statuses.push((await post(sim, '/transactions/sync', { access_token: accessToken })).status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(statuses.at(-1)).toBe(429);
    expect(sim.control.injectedFaults()).toEqual({ TRANSACTIONS_REFRESH_LIMIT: 1, TRANSACTIONS_SYNC_LIMIT: 1 });

    now += 600; // one scaled minute (60 s × 0.01)
    expect((await post(sim, '/transactions/sync', { access_token: accessToken })).status).toBe(200);
    sim.control.setRateLimits(false);
    expect(sim.control.stats().rateLimits).toBe(false);
  });

  it('limits per client across Items', async () => {
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, rateLimits: true, now: () => 0 });
    const tokens = Array.from({ length: 51 }, () => sim!.control.createItem({ transactionCount: 0 }).accessToken);
    const statuses: number[] = [];
    // Two calls per Item stay within the per-Item limit (2/min); the client limit is 100/min.
    for (const token of tokens) {
      for (let i = 0; i < 2; i++) statuses.push((await post(sim, '/transactions/refresh', { access_token: token })).status);
    }
    expect(statuses.slice(0, 100).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(100)).toEqual([429, 429]);
  });
});
