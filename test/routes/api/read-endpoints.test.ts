import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiClient, linkThroughApi, type ApiClient, type ApiResponse } from '../../support/api-client.js';
import { buildTestApp } from '../../support/app.js';
import { useSyncFixture } from '../../support/sync-fixture.js';

// Every record comes from the simulator through the real link, sync and read paths.
const fx = useSyncFixture();
let api: ApiClient;
let stranger: ApiClient;

interface Linked {
  itemId: string;
  plaidItemId: string;
  accounts: { id: string; product: string; type: string; subtype: string | null }[];
}

const linked: Record<'bank' | 'brokerage' | 'card' | 'lender', Linked> = {} as never;

async function link(institutionId: string, product: 'transactions' | 'investments' | 'liabilities'): Promise<Linked> {
  const res = await linkThroughApi(api, fx.sim.control, { institutionId, products: [product], product });
  expect(res.status).toBe(201);
  return { itemId: res.body.item.id, plaidItemId: res.plaidItemId, accounts: res.body.item.accounts };
}

async function sync(product: string, accountId: string) {
  const res = await api.post(`/products/${product}/transactions/sync`, { account_id: accountId });
  expect(res.status).toBe(200);
  expect(res.body.errors).toEqual([]);
  return res.body as { updated: boolean; errors: string[] };
}

const accountOf = (which: Linked, predicate: (a: Linked['accounts'][number]) => boolean) => which.accounts.find(predicate)!;
const DECIMAL = /^-?\d+(\.\d+)?$/;

beforeAll(async () => {
  const { app } = buildTestApp(fx.database, { syncs: fx.syncs, vault: fx.harness.vault });
  api = apiClient(app);
  stranger = apiClient(app);
  linked.bank = await link('ins_109508', 'transactions');
  linked.brokerage = await link('ins_sim_brokerage', 'investments');
  linked.card = await link('ins_sim_card', 'liabilities');
  linked.lender = await link('ins_sim_lender', 'liabilities');
  await sync('transactions', accountOf(linked.bank, (a) => a.product === 'transactions').id);
  await sync('investments', accountOf(linked.brokerage, (a) => a.product === 'investments').id);
  await sync('liabilities', accountOf(linked.card, (a) => a.product === 'liabilities').id);
  await sync('liabilities', accountOf(linked.lender, (a) => a.product === 'liabilities').id);
  await fx.harness.engine.idle();
});

type Page = { next_cursor: string | null } & Record<string, { id: string; date: string }[]>;

async function allPages(path: string, key: string, limit: number) {
  const rows: { id: string; date: string }[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: ApiResponse<Page> = await api.get<Page>(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    rows.push(...(res.body[key] as { id: string; date: string }[]));
    cursor = res.body.next_cursor;
  } while (cursor !== null);
  return rows;
}

const newestFirst = (rows: { id: string; date: string }[]) =>
  [...rows].sort((a, b) => (a.date === b.date ? (a.id < b.id ? 1 : -1) : a.date < b.date ? 1 : -1));

describe('GET /api/accounts/{id}', () => {
  it('answers the account as the item shows it', async () => {
    const item = await api.get(`/items/${linked.bank.itemId}`);
    const [account] = item.body.accounts;
    const res = await api.get(`/accounts/${account.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(account);
    expect(res.body.balances.current).toMatch(DECIMAL);
  });

  it('answers 404 for another user’s account and 422 for an id that is not a UUID', async () => {
    expect((await stranger.get(`/accounts/${linked.bank.accounts[0]!.id}`)).status).toBe(404);
    expect((await api.get('/accounts/not-a-uuid')).body.error).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/^id: /) });
  });
});

describe('GET /api/transactions', () => {
  it('pages through every transaction of every account, newest first, as the per-account lists hold them', async () => {
    const all = await allPages('/transactions', 'transactions', 7);
    expect(all.length).toBeGreaterThan(7);
    expect(new Set(all.map((t) => t.id)).size).toBe(all.length);
    expect(all).toEqual(newestFirst(all));
    const perAccount = [];
    for (const account of [...linked.bank.accounts, ...linked.card.accounts].filter((a) => a.product !== 'investments')) {
      perAccount.push(...(await allPages(`/accounts/${account.id}/transactions`, 'transactions', 500)));
    }
    expect(newestFirst(perAccount)).toEqual(all);
    const truth = [...fx.sim.control.truth(linked.bank.plaidItemId)];
    expect(all.filter((t) => truth.some((x) => x.transaction_id === t.id))).toHaveLength(truth.length);
  });

  it('filters by account (repeatable), product, pending and dates', async () => {
    const all = (await allPages('/transactions', 'transactions', 500)) as unknown as { id: string; date: string; account_id: string; pending: boolean }[];
    const [first, second] = [...new Set(all.map((t) => t.account_id))];
    const two = await allPages(`/transactions?account_id=${first}&account_id=${second}`, 'transactions', 500);
    expect(two).toEqual(all.filter((t) => t.account_id === first || t.account_id === second));
    const one = await allPages(`/transactions?account_id=${first}`, 'transactions', 500);
    expect(one).toEqual(all.filter((t) => t.account_id === first));

    const posted = await allPages('/transactions?pending=false', 'transactions', 500);
    const pending = await allPages('/transactions?pending=true', 'transactions', 500);
    expect(posted).toEqual(all.filter((t) => !t.pending));
    expect(pending).toEqual(all.filter((t) => t.pending));

    const dates = [...new Set(all.map((t) => t.date))].sort();
    const [from, to] = [dates[1]!, dates[dates.length - 2]!];
    const ranged = await allPages(`/transactions?start_date=${from}&end_date=${to}`, 'transactions', 3);
    expect(ranged).toEqual(all.filter((t) => t.date >= from && t.date <= to));
    const accountRanged = await allPages(`/accounts/${first}/transactions?start_date=${from}&end_date=${to}`, 'transactions', 3);
    expect(accountRanged).toEqual(all.filter((t) => t.account_id === first && t.date >= from && t.date <= to));

    expect((await api.get('/transactions?product=investments')).body).toEqual({ transactions: [], next_cursor: null });
    const bankAccounts = new Set(linked.bank.accounts.filter((a) => a.product === 'transactions').map((a) => a.id));
    const byProduct = await allPages('/transactions?product=transactions', 'transactions', 500);
    expect(byProduct.every((t) => bankAccounts.has((t as unknown as { account_id: string }).account_id))).toBe(true);
  });

  it('shows nothing of another user, even when asked by account id', async () => {
    expect((await stranger.get('/transactions')).body).toEqual({ transactions: [], next_cursor: null });
    expect((await stranger.get(`/transactions?account_id=${linked.bank.accounts[0]!.id}`)).body).toEqual({ transactions: [], next_cursor: null });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=ten', 'limit'],
    ['start_date=2026-02-30', 'start_date'],
    ['end_date=yesterday', 'end_date'],
    ['start_date=2026-03-01&end_date=2026-02-01', 'end_date'],
    ['account_id=not-a-uuid', 'account_id'],
    ['product=savings', 'product'],
    ['pending=yes', 'pending'],
    ['cursor=bm90IGEgY3Vyc29y', 'cursor'],
  ])('answers 422 for %s', async (query, field) => {
    const res = await api.get(`/transactions?${query}`);
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(new RegExp(`^${field}`));
  });

  it('answers 409 on an investment account’s transactions, naming the route that lists its activity', async () => {
    const account = accountOf(linked.brokerage, (a) => a.product === 'investments');
    const res = await api.get(`/accounts/${account.id}/transactions`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'investment_account', details: { see: `/api/accounts/${account.id}/investment-transactions` } });
  });
});

describe('investments', () => {
  const investmentAccounts = () => linked.brokerage.accounts.filter((a) => a.product === 'investments');

  it('lists holdings with their securities, money as decimal strings, as Plaid holds them', async () => {
    const truth = fx.sim.control.holdingsTruth(linked.brokerage.plaidItemId);
    const seen = [];
    for (const account of investmentAccounts()) {
      const res = await api.get(`/accounts/${account.id}/holdings`);
      expect(res.status).toBe(200);
      seen.push(...res.body.holdings);
    }
    expect(seen).toHaveLength(truth.holdings.length);
    for (const holding of seen) {
      const security = truth.securities.find((s) => s.security_id === holding.security_id)!;
      expect(holding.security).toMatchObject({ id: security.security_id, ticker_symbol: security.ticker_symbol, name: security.name, type: security.type });
      expect(holding.quantity).toMatch(DECIMAL);
      expect(holding.institution_value).toMatch(DECIMAL);
      if (security.close_price !== null) expect(holding.security.close_price).toBe(String(security.close_price));
    }
  });

  it('answers a held security alone, and 404 for another user or an unknown id', async () => {
    const [account] = investmentAccounts();
    const { holdings } = (await api.get(`/accounts/${account!.id}/holdings`)).body;
    const res = await api.get(`/securities/${holdings[0].security_id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(holdings[0].security);
    expect((await stranger.get(`/securities/${holdings[0].security_id}`)).status).toBe(404);
    expect((await api.get('/securities/unknown-security')).status).toBe(404);
    expect((await api.get('/securities/not%20an%20id')).status).toBe(422);
  });

  it('pages investment transactions newest first, with date filters', async () => {
    const truth = fx.sim.control.investmentTransactionsTruth(linked.brokerage.plaidItemId);
    const all = [];
    for (const account of investmentAccounts()) {
      const rows = await allPages(`/accounts/${account.id}/investment-transactions`, 'investment_transactions', 4);
      expect(rows).toEqual(newestFirst(rows));
      all.push(...rows);
    }
    expect(all.length).toBeGreaterThan(0);
    expect(new Set(all.map((t) => t.id))).toEqual(new Set(truth.map((t) => t.investment_transaction_id)));
    const [account] = investmentAccounts();
    const own = await allPages(`/accounts/${account!.id}/investment-transactions`, 'investment_transactions', 500);
    const dates = [...new Set(own.map((t) => t.date))].sort();
    const from = dates[Math.floor(dates.length / 2)]!;
    const later = await allPages(`/accounts/${account!.id}/investment-transactions?start_date=${from}`, 'investment_transactions', 2);
    expect(later).toEqual(own.filter((t) => t.date >= from));
    expect((await api.get(`/accounts/${account!.id}/investment-transactions?end_date=2020-13-01`)).status).toBe(422);
  });
});

describe('GET /api/accounts/{id}/liabilities', () => {
  it('shapes a credit card: APRs, minimum payment, due date and last statement as decimal strings', async () => {
    const card = accountOf(linked.card, (a) => a.type === 'credit');
    const res = await api.get(`/accounts/${card.id}/liabilities`);
    expect(res.status).toBe(200);
    const [liability] = res.body.liabilities;
    const truth = fx.sim.control.liabilitiesTruth(linked.card.plaidItemId).credit![0]!;
    expect(liability).toMatchObject({ account_id: card.id, kind: 'credit', mortgage: null, student: null });
    expect(liability.credit.aprs).toHaveLength(truth.aprs.length);
    expect(liability.credit.aprs[0].apr_percentage).toBe(String(truth.aprs[0]!.apr_percentage));
    expect(liability.credit).toMatchObject({
      minimum_payment_amount: truth.minimum_payment_amount === null ? null : String(truth.minimum_payment_amount),
      next_payment_due_date: truth.next_payment_due_date,
      last_statement_balance: truth.last_statement_balance === null ? null : String(truth.last_statement_balance),
      last_statement_issue_date: truth.last_statement_issue_date,
    });
  });

  it('shapes mortgages and student loans, without account numbers', async () => {
    const kinds = new Set<string>();
    for (const account of linked.lender.accounts) {
      const res = await api.get(`/accounts/${account.id}/liabilities`);
      expect(res.status).toBe(200);
      for (const liability of res.body.liabilities) {
        kinds.add(liability.kind);
        const detail = liability[liability.kind];
        expect(detail).not.toHaveProperty('account_number');
        expect(JSON.stringify(liability)).not.toMatch(/account_number|payment_reference_number/);
        if (liability.kind === 'mortgage') expect(detail.interest_rate).toHaveProperty('percentage');
        if (liability.kind === 'student') expect(detail.repayment_plan).toHaveProperty('type');
      }
    }
    expect(kinds).toEqual(new Set(['mortgage', 'student']));
  });

  it('answers an empty list for an account without a liability', async () => {
    const checking = accountOf(linked.bank, (a) => a.type === 'depository');
    expect((await api.get(`/accounts/${checking.id}/liabilities`)).body).toEqual({ liabilities: [] });
  });
});

describe('items: per-product sync state, consent and new accounts', () => {
  it('says which products are synced, when they last succeeded, and that none is running', async () => {
    const res = await api.get(`/items/${linked.bank.itemId}`);
    expect(res.body.sync.transactions).toMatchObject({ enabled: true, in_progress: false, last_error: null });
    expect(Date.parse(res.body.sync.transactions.last_succeeded_at)).not.toBeNaN();
    expect(res.body.sync.investments).toEqual({ enabled: false, in_progress: false, state: 'ok', state_code: null, last_succeeded_at: null, last_error: null });
    const list = await api.get<{ items: { id: string }[] }>('/items');
    expect(list.body.items.find((i) => i.id === linked.bank.itemId)).toEqual(
      Object.fromEntries(Object.entries(res.body).filter(([key]) => key !== 'accounts')),
    );
  });

  it('shows the newest failure with its code and message, and a run in progress', async () => {
    const account = accountOf(linked.card, (a) => a.product === 'liabilities');
    fx.sim.control.addFault({ endpoint: '/liabilities/get', kind: 'internal_error', count: 10 });
    const failed = await api.post('/products/liabilities/transactions/sync', { account_id: account.id });
    fx.sim.control.clearFaults();
    expect(failed.body.errors[0]).toMatch(/^INTERNAL_SERVER_ERROR/);
    const res = await api.get(`/items/${linked.card.itemId}`);
    expect(res.body.sync.liabilities).toMatchObject({ enabled: true, in_progress: false, last_error: { code: 'INTERNAL_SERVER_ERROR', message: expect.any(String) } });
    expect(Date.parse(res.body.sync.liabilities.last_error.at)).toBeGreaterThan(Date.parse(res.body.sync.liabilities.last_succeeded_at));

    await fx.database.db.execute(sql`insert into sync_runs (item_id, product, trigger) values (${linked.card.itemId}, 'liabilities', 'api')`);
    try {
      expect((await api.get(`/items/${linked.card.itemId}`)).body.sync.liabilities.in_progress).toBe(true);
    } finally {
      await fx.database.db.execute(sql`update sync_runs set status = 'abandoned', finished_at = now() where item_id = ${linked.card.itemId} and status = 'running'`);
    }
  });

  it('states consent expiring (within 7 days, or a disconnect announced) and new accounts available', async () => {
    const id = linked.lender.itemId;
    const item = async () => (await api.get<Record<string, unknown>>(`/items/${id}`)).body;
    expect(await item()).toMatchObject({ consent_expiring: false, new_accounts_available: false, pending_disconnect_at: null });
    await fx.database.db.execute(sql`update plaid_items set consent_expires_at = now() + interval '30 days' where id = ${id}`);
    expect(await item()).toMatchObject({ consent_expiring: false });
    await fx.database.db.execute(sql`update plaid_items set consent_expires_at = now() + interval '3 days', new_accounts_available = true where id = ${id}`);
    expect(await item()).toMatchObject({ consent_expiring: true, new_accounts_available: true });
    await fx.database.db.execute(sql`update plaid_items set consent_expires_at = null, pending_disconnect_at = now() + interval '6 days' where id = ${id}`);
    expect(await item()).toMatchObject({ consent_expiring: true, pending_disconnect_at: expect.any(String) });
  });
});

describe('updated: true only when stored data changed', () => {
  it.each([
    ['investments', 'brokerage'],
    ['liabilities', 'lender'],
    ['transactions', 'bank'],
  ] as const)('%s: the same Plaid answer again is updated: false, zero rows on the run and in the log', async (product, which) => {
    const account = accountOf(linked[which], (a) => a.product === product);
    expect(await sync(product, account.id)).toEqual({ updated: false, errors: [] });
    const [run] = await fx.database.db.execute<{ id: string; added: number; modified: number; removed: number }>(sql`
      select id, added, modified, removed from sync_runs where item_id = ${linked[which].itemId} and product = ${product}
      order by started_at desc limit 1`);
    expect(run).toMatchObject({ added: 0, modified: 0, removed: 0 });
    const logged = fx.harness.logs.find((line) => line.msg === 'sync_complete' && line.run_id === run!.id);
    expect(logged).toMatchObject({ product, added: 0, modified: 0, removed: 0 });
  });

  it('investments: a changed holding at Plaid is updated: true', async () => {
    fx.sim.control.updateHoldings(linked.brokerage.plaidItemId, { updated: 1 });
    expect(await sync('investments', accountOf(linked.brokerage, (a) => a.product === 'investments').id)).toEqual({ updated: true, errors: [] });
  });
});
