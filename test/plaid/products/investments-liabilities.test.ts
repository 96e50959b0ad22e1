import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY } from '../../../src/plaid/products/registry.js';
import { FIRST_WINDOW_DAYS, WINDOW_OVERLAP_DAYS, shiftDate } from '../../../src/plaid/products/investments.js';
import { PRODUCTS } from '../../../src/db/schema/products.js';
import { plaidItems } from '../../../src/db/schema/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { startTestSimulator, type TestSimulator } from '../../support/simulator.js';
import { itemRow, runRows, seedItem, stagedRowCount, syncHarness, type SeededItem, type SyncHarness } from '../../support/sync-harness.js';

const TODAY = '2026-03-15';

let database: TestDatabase;
let sim: TestSimulator;
let harness: SyncHarness;

beforeAll(async () => {
  database = await createTestDatabase();
  sim = startTestSimulator({ today: TODAY });
  harness = syncHarness(database, { today: () => TODAY });
});

afterAll(async () => {
  await harness.engine.stop(0);
  await sim.close();
  await database.drop();
});

const seed = (products: ('investments' | 'liabilities')[], institutionId = 'ins_109508') =>
  seedItem(database.db, sim.control, harness.vault, harness.plaid, { products, institutionId, transactionCount: 0 });
const run = (item: SeededItem, product: 'investments' | 'liabilities') => harness.engine.run({ itemId: item.itemId, product, trigger: 'api' });

async function storedHoldings(item: SeededItem) {
  const rows = await database.db.execute<{ account: string; security_id: string; quantity: string; value: string }>(sql`
    select a.plaid_account_id as account, h.security_id, h.quantity::text as quantity, h.institution_value::text as value
    from investment_holdings h join plaid_accounts a on a.id = h.account_id
    where h.item_id = ${item.itemId} order by 1, 2`);
  return [...rows];
}

async function storedInvestmentTransactions(item: SeededItem) {
  const rows = await database.db.execute<{ id: string; amount: string; date: string }>(sql`
    select plaid_investment_transaction_id as id, amount::text as amount, date::text as date
    from investment_transactions where item_id = ${item.itemId} order by 1`);
  return [...rows];
}

function holdingsTruth(item: SeededItem) {
  return sim.control
    .holdingsTruth(item.plaidItemId)
    .holdings.map((h) => ({ account: h.account_id, security_id: h.security_id, quantity: String(h.quantity), value: String(h.institution_value) }))
    .sort((a, b) => (a.account + a.security_id < b.account + b.security_id ? -1 : 1));
}

function investmentTransactionsTruth(item: SeededItem, from: string) {
  return sim.control
    .investmentTransactionsTruth(item.plaidItemId)
    .filter((t) => t.date >= from && t.date <= TODAY)
    .map((t) => ({ id: t.investment_transaction_id, amount: String(t.amount), date: t.date }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

describe('the registry', () => {
  it('has an entry for every product, each naming its product', () => {
    for (const product of PRODUCTS) expect(REGISTRY[product].product).toBe(product);
  });

  it('serializes accounts with string balances and no secrets', () => {
    const account = {
      id: 'a', itemId: 'i', userId: 'u', plaidAccountId: 'p', product: 'transactions' as const, status: 'active' as const, replacedBy: null,
      name: 'Checking', officialName: null, mask: '0000', type: 'depository', subtype: 'checking', balanceAvailable: '1.50',
      balanceCurrent: '2.25', balanceLimit: null, isoCurrencyCode: 'USD', unofficialCurrencyCode: null, persistentAccountId: null,
      balancesUpdatedAt: new Date('2026-01-01T00:00:00Z'), createdAt: new Date(), updatedAt: new Date(),
    };
    for (const product of PRODUCTS) {
      expect(REGISTRY[product].serializeAccount(account)).toMatchObject({
        id: 'a', product: 'transactions', balances: { available: '1.50', current: '2.25', updated_at: '2026-01-01T00:00:00.000Z' },
      });
    }
  });
});

describe('investments', () => {
  it('stores holdings, securities and 24 months of investment transactions', async () => {
    const item = await seed(['investments']);
    sim.requests.length = 0;
    const outcome = await run(item, 'investments');
    expect(outcome.status).toBe('succeeded');
    expect(await storedHoldings(item)).toEqual(holdingsTruth(item));
    const from = shiftDate(TODAY, -FIRST_WINDOW_DAYS);
    expect(await storedInvestmentTransactions(item)).toEqual(investmentTransactionsTruth(item, from));
    const window = sim.requests.find((r) => r.endpoint === '/investments/transactions/get')!.body;
    expect(window).toMatchObject({ start_date: from, end_date: TODAY });
    const securities = await database.db.execute<{ n: number }>(sql`select count(*)::int as n from securities`);
    expect(securities[0]!.n).toBeGreaterThan(0);
    expect(await stagedRowCount(database.db)).toBe(0);
  });

  it('pages by offset, continues from the last synced day minus an overlap, and drops holdings no longer listed', async () => {
    const item = await seed(['investments']);
    await run(item, 'investments');
    sim.control.addInvestmentTransactions(item.plaidItemId, 650);
    sim.control.updateHoldings(item.plaidItemId, { added: 1, updated: 2 });
    const [account] = item.accounts.filter((a) => a.product === 'investments');
    await database.db.execute(sql`
      insert into securities (security_id, name) values ('gone-security', 'Delisted') on conflict do nothing;`);
    await database.db.execute(sql`
      insert into investment_holdings (account_id, security_id, item_id, quantity, institution_price, institution_value)
      values (${account!.id}, 'gone-security', ${item.itemId}, '1', '1', '1')`);
    sim.requests.length = 0;
    const outcome = await run(item, 'investments');
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { removed: 1 } });
    const pages = sim.requests.filter((r) => r.endpoint === '/investments/transactions/get');
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(pages.map((p) => (p.body.options as { offset: number }).offset)).toEqual([0, 500, ...(pages.length > 2 ? [1000] : [])].slice(0, pages.length));
    expect(pages[0]!.body.start_date).toBe(shiftDate(TODAY, -WINDOW_OVERLAP_DAYS));
    expect(await storedHoldings(item)).toEqual(holdingsTruth(item));
    expect(await storedInvestmentTransactions(item)).toEqual(investmentTransactionsTruth(item, shiftDate(TODAY, -FIRST_WINDOW_DAYS)));
  });

  it('refuses to run a product the item is not entitled to, before any call (Plaid would add and bill it)', async () => {
    const item = await seedItem(database.db, sim.control, harness.vault, harness.plaid, { products: ['transactions'], institutionId: 'ins_109508', transactionCount: 5 });
    const before = sim.requests.length;
    expect(await run(item, 'investments')).toEqual({ status: 'skipped', runId: null, reason: 'product_not_entitled' });
    expect(await run(item, 'liabilities')).toEqual({ status: 'skipped', runId: null, reason: 'product_not_entitled' });
    expect(sim.requests.slice(before)).toEqual([]);
    expect(await runRows(database.db, item.itemId)).toEqual([]);
  });

  it('marks the product unsupported without failing the item', async () => {
    const item = await seedItem(database.db, sim.control, harness.vault, harness.plaid, { products: ['transactions'], institutionId: 'ins_109512', transactionCount: 5 });
    // Entitled (as if the app had enabled it), so the engine does call it: Plaid answers that the institution lacks it.
    await database.db.update(plaidItems).set({ entitledProducts: ['investments', 'transactions'] }).where(eq(plaidItems.id, item.itemId));
    const outcome = await run(item, 'investments');
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'PRODUCTS_NOT_SUPPORTED', kind: 'product_unsupported' } });
    expect(await itemRow(database.db, item.itemId)).toMatchObject({ status: 'active', unsupported_products: ['investments'] });
    expect(await run(item, 'investments')).toEqual({ status: 'skipped', runId: null, reason: 'product_unsupported' });
    expect((await harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'api' })).status).toBe('succeeded');
  });

  it('records a provider error on the run and keeps the window where it was', async () => {
    const item = await seed(['investments']);
    sim.control.addFault({ endpoint: '/investments/transactions/get', kind: 'internal_error', count: 5 });
    const outcome = await run(item, 'investments');
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(await storedHoldings(item)).toEqual([]);
    const state = await database.db.execute(sql`select synced_through from sync_state where item_id = ${item.itemId}`);
    expect(state).toHaveLength(0);
  });
});

describe('liabilities', () => {
  async function storedLiabilities(item: SeededItem) {
    const rows = await database.db.execute<{ account: string; kind: string; detail: { account_id: string } }>(sql`
      select a.plaid_account_id as account, l.kind, l.detail from liabilities l join plaid_accounts a on a.id = l.account_id
      where l.item_id = ${item.itemId} order by 1`);
    return [...rows];
  }

  function liabilitiesTruth(item: SeededItem) {
    const truth = sim.control.liabilitiesTruth(item.plaidItemId);
    return (['credit', 'mortgage', 'student'] as const)
      .flatMap((kind) => (truth[kind] ?? []).map((detail) => ({ account: detail.account_id!, kind, detail: JSON.parse(JSON.stringify(detail)) })))
      .sort((a, b) => (a.account < b.account ? -1 : 1));
  }

  it('stores credit, mortgage and student liabilities with Plaid’s detail, and balances', async () => {
    const item = await seed(['liabilities'], 'ins_sim_lender');
    const outcome = await run(item, 'liabilities');
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { pages: 1 } });
    const stored = await storedLiabilities(item);
    expect(stored).toEqual(liabilitiesTruth(item));
    expect(stored.length).toBeGreaterThan(0);
    const balances = await database.db.execute<{ n: number }>(sql`
      select count(*)::int as n from plaid_accounts where item_id = ${item.itemId} and balances_updated_at is not null`);
    expect(balances[0]!.n).toBeGreaterThan(0);
  });

  it('updates changed liabilities on the next run', async () => {
    const item = await seed(['liabilities'], 'ins_109508');
    await run(item, 'liabilities');
    sim.control.updateLiabilities(item.plaidItemId);
    const outcome = await run(item, 'liabilities');
    expect(outcome).toMatchObject({ status: 'succeeded', counts: { added: 0 } });
    expect((outcome as { counts: { modified: number } }).counts.modified).toBeGreaterThan(0);
    expect(await storedLiabilities(item)).toEqual(liabilitiesTruth(item));
  });

  it('fails the run on a provider error and moves the item on login required', async () => {
    const item = await seed(['liabilities'], 'ins_109508');
    sim.control.loginRequired(item.plaidItemId);
    expect(await run(item, 'liabilities')).toMatchObject({ status: 'failed', error: { code: 'ITEM_LOGIN_REQUIRED' } });
    expect((await itemRow(database.db, item.itemId)).status).toBe('needs_reauth');
    expect((await runRows(database.db, item.itemId))[0]).toMatchObject({ product: 'liabilities', status: 'failed' });
  });
});

describe('a second run with nothing new at Plaid', () => {
  async function runRow(runId: string) {
    const rows = await database.db.execute<{ added: number; modified: number; removed: number }>(sql`
      select added, modified, removed from sync_runs where id = ${runId}`);
    return rows[0];
  }

  it.each([
    ['investments', 'ins_109508'],
    ['liabilities', 'ins_sim_lender'],
  ] as const)('%s: reports no change and records zero rows on the run', async (product, institutionId) => {
    const item = await seed([product], institutionId);
    const first = await run(item, product);
    expect(first).toMatchObject({ status: 'succeeded', changed: true });
    const second = await run(item, product);
    expect(second).toMatchObject({ status: 'succeeded', changed: false, counts: { added: 0, modified: 0, removed: 0 } });
    expect(await runRow((second as { runId: string }).runId)).toEqual({ added: 0, modified: 0, removed: 0 });
  });

  it('investments: a new close price alone is a change', async () => {
    const item = await seed(['investments']);
    await run(item, 'investments');
    const [held] = await storedHoldings(item);
    await database.db.execute(sql`update securities set close_price = close_price + 1 where security_id = ${held!.security_id}`);
    const outcome = await run(item, 'investments');
    expect(outcome).toMatchObject({ status: 'succeeded', changed: true, counts: { added: 0, removed: 0 } });
    expect((outcome as { counts: { modified: number } }).counts.modified).toBeGreaterThanOrEqual(1);
  });

  it('liabilities: an account balance that differs from Plaid’s is a change of one row', async () => {
    const item = await seed(['liabilities'], 'ins_sim_lender');
    await run(item, 'liabilities');
    await database.db.execute(sql`
      update plaid_accounts set balance_current = balance_current + 1
      where id = (select account_id from liabilities where item_id = ${item.itemId} limit 1)`);
    const outcome = await run(item, 'liabilities');
    expect(outcome).toMatchObject({ status: 'succeeded', changed: true, counts: { added: 0, modified: 1, removed: 0 } });
  });
});
