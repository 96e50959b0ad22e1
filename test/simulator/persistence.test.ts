import postgres from 'postgres';
import { Products } from 'plaid';
import type { PlaidApi } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorServer } from '../../src/simulator/index.js';
import { createEmptyDatabase } from '../support/database.js';
import { CLIENT_ID, SECRET, expectPlaidError, plaidClient } from './support.js';

type Started = Awaited<ReturnType<typeof startSimulatorServer>>;

describe('simulator state kept in PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  const open: Started[] = [];

  const start = async (): Promise<{ server: Started; plaid: PlaidApi }> => {
    const server = await startSimulatorServer({ clientId: CLIENT_ID, secret: SECRET, stateDatabaseUrl: database.url, defaultTransactionCount: 40 });
    open.push(server);
    return { server, plaid: plaidClient(server.url) };
  };
  const stop = async (server: Started): Promise<void> => {
    await server.close();
    open.splice(open.indexOf(server), 1);
  };

  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(async () => {
    for (const server of open) await server.close();
    await database.drop();
  });

  it('continues where it left off across restarts: tokens, cursors, changes, keys, faults; ids never repeat', async () => {
    let { server, plaid } = await start();
    const link = async (institution_id: string, product: Products) => {
      const { data: created } = await plaid.sandboxPublicTokenCreate({ institution_id, initial_products: [product] });
      return (await plaid.itemPublicTokenExchange({ public_token: created.public_token })).data;
    };
    const bank = await link('ins_109508', Products.Transactions);
    const brokerage = await link('ins_sim_brokerage', Products.Investments);
    const lender = await link('ins_sim_lender', Products.Liabilities);
    const first = await plaid.transactionsSync({ access_token: bank.access_token, count: 500 });
    expect(first.data.added).toHaveLength(40);
    server.simulator.control.advance(bank.item_id, { added: 3, modified: 2, removed: 1, posted: 1 });
    server.simulator.control.updateHoldings(brokerage.item_id, { added: 1, updated: 2 });
    server.simulator.control.addInvestmentTransactions(brokerage.item_id, 3);
    server.simulator.control.updateLiabilities(lender.item_id);
    server.simulator.control.loginRequired(lender.item_id);
    server.simulator.control.rotateWebhookKey();
    server.simulator.control.addFault({ endpoint: '/institutions/get_by_id', kind: 'internal_error', count: 2 });
    const leftover = (await plaid.sandboxPublicTokenCreate({ institution_id: 'ins_109509', initial_products: [Products.Transactions] })).data.public_token;
    // Control calls change state outside a Plaid request: one more request saves them.
    await plaid.itemGet({ access_token: bank.access_token });
    const before = {
      truth: [...server.simulator.control.truth(bank.item_id)],
      holdings: server.simulator.control.holdingsTruth(brokerage.item_id),
      investmentTransactions: server.simulator.control.investmentTransactionsTruth(brokerage.item_id),
      liabilities: server.simulator.control.liabilitiesTruth(lender.item_id),
      keys: server.simulator.control.webhookKeys(),
      items: server.simulator.control.items().map((i) => i.itemId),
    };
    const requestIds = new Set([first.data.request_id]);
    await stop(server);

    for (let restart = 1; restart <= 2; restart++) {
      ({ server, plaid } = await start());
      const control = server.simulator.control;
      // Every item is back (the store keeps no order among them), and no id stands twice.
      const ids = control.items().map((i) => i.itemId);
      expect(ids).toEqual(expect.arrayContaining(before.items));
      expect(new Set(ids).size).toBe(ids.length);
      expect([...control.truth(bank.item_id)]).toEqual(before.truth);
      expect(control.holdingsTruth(brokerage.item_id)).toEqual(before.holdings);
      expect(control.investmentTransactionsTruth(brokerage.item_id)).toEqual(before.investmentTransactions);
      expect(control.liabilitiesTruth(lender.item_id)).toEqual(before.liabilities);
      expect(control.webhookKeys()).toEqual(before.keys);
      expect(control.item(lender.item_id).errorCode).toBe('ITEM_LOGIN_REQUIRED');
      expect(control.faults()).toEqual([{ endpoint: '/institutions/get_by_id', kind: 'internal_error', count: 2 }]);
      if (restart === 1) {
        // The cursor from before the restart sees exactly the advance made before it.
        const next = await plaid.transactionsSync({ access_token: bank.access_token, cursor: first.data.next_cursor, count: 500 });
        // Three new transactions and the posted version of a pending one.
        expect(next.data.added).toHaveLength(4);
        expect(next.data.modified.length).toBeGreaterThanOrEqual(1);
        expect(next.data.removed.length).toBeGreaterThanOrEqual(2);
        requestIds.add(next.data.request_id);
        // A public token issued before the restart is still good, once.
        const exchanged = await plaid.itemPublicTokenExchange({ public_token: leftover });
        expect(before.items).toContain(exchanged.data.item_id);
        expect((await expectPlaidError(plaid.itemPublicTokenExchange({ public_token: leftover }))).data.error_code).toBe('INVALID_PUBLIC_TOKEN');
      }
      const fresh = await link('ins_109512', Products.Transactions);
      expect(control.items().filter((i) => i.itemId === fresh.item_id)).toHaveLength(1);
      const item = await plaid.itemGet({ access_token: fresh.access_token });
      expect(requestIds.has(item.data.request_id)).toBe(false);
      requestIds.add(item.data.request_id);
      await stop(server);
    }

    // Every item id handed out is distinct: three at first, the leftover, and one per restart.
    ({ server } = await start());
    const ids = server.simulator.control.items().map((i) => i.itemId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(6);
    const tokens = server.simulator.control.items().map((i) => i.accessToken);
    expect(new Set(tokens).size).toBe(tokens.length);
    await stop(server);
  }, 60_000);

  it('keeps the saved state small: an item costs its events, not its generated history', async () => {
    const sql = postgres(database.url, { max: 1, onnotice: () => undefined });
    try {
      const rows = await sql<{ key: string; bytes: number }[]>`select key, octet_length(value::text) as bytes from plaid_simulator.state where key like 'item:%'`;
      expect(rows.length).toBeGreaterThan(0);
      // Measured: 0.8 to 1.3 kB an item; 6.5 kB for the brokerage, whose changed holdings are kept whole.
      for (const row of rows) expect(row.bytes).toBeLessThan(8_000);
    } finally {
      await sql.end();
    }
  });

  it('refuses saved state of another version with a line that says what to do', async () => {
    const sql = postgres(database.url, { max: 1, onnotice: () => undefined });
    try {
      await sql`update plaid_simulator.state set value = jsonb_set(value, '{version}', '99') where key = 'meta'`;
      await expect(start()).rejects.toThrow(/version 99.*drop schema plaid_simulator/);
    } finally {
      await sql.end();
    }
  });
});

describe('phased readiness kept in PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;

  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('keeps the history hidden across a restart until the historical update, then reveals it once', async () => {
    // Phases far in the future: only the control calls below move them.
    const options = { clientId: CLIENT_ID, secret: SECRET, stateDatabaseUrl: database.url, defaultTransactionCount: 120, readiness: { initialMs: 3_600_000, historicalMs: 7_200_000 } };
    let server = await startSimulatorServer(options);
    let plaid = plaidClient(server.url);
    const { data: created } = await plaid.sandboxPublicTokenCreate({ institution_id: 'ins_109508', initial_products: [Products.Transactions] });
    const { data: item } = await plaid.itemPublicTokenExchange({ public_token: created.public_token });
    expect((await plaid.transactionsSync({ access_token: item.access_token })).data.transactions_update_status).toBe('NOT_READY');
    server.simulator.control.markReady(item.item_id, 'initial');
    const recent = (await plaid.transactionsSync({ access_token: item.access_token, count: 500 })).data;
    expect(recent.added.length).toBeGreaterThan(0);
    expect(recent.added.length).toBeLessThan(120);
    await server.close();

    server = await startSimulatorServer(options);
    plaid = plaidClient(server.url);
    const fromScratch = (await plaid.transactionsSync({ access_token: item.access_token, count: 500 })).data;
    expect(fromScratch.added.map((t) => t.transaction_id).sort()).toEqual(recent.added.map((t) => t.transaction_id).sort());
    server.simulator.control.markReady(item.item_id, 'historical');
    const older = (await plaid.transactionsSync({ access_token: item.access_token, cursor: recent.next_cursor, count: 500 })).data;
    expect(older.added.length + recent.added.length).toBe(server.simulator.control.truth(item.item_id).count);
    await plaid.itemGet({ access_token: item.access_token });
    await server.close();

    server = await startSimulatorServer(options);
    plaid = plaidClient(server.url);
    const all = (await plaid.transactionsSync({ access_token: item.access_token, count: 500 })).data;
    expect(all.added).toHaveLength(server.simulator.control.truth(item.item_id).count);
    expect((await plaid.transactionsSync({ access_token: item.access_token, cursor: older.next_cursor })).data.added).toEqual([]);
    await server.close();
  }, 60_000);
});
