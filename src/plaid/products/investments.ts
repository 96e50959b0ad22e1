/**
 * Investments: holdings and securities (`/investments/holdings/get`), and investment transactions
 * (`/investments/transactions/get`, offset paging) over an incremental date window: the first run
 * reaches back 24 months, later runs start a little before the last day fully synced, because
 * institutions post investment activity late. Pages are staged in Postgres and everything, with the
 * new window, commits in one transaction.
 */
import { sql } from 'drizzle-orm';
import { AccountType, Products, type InvestmentsHoldingsGetResponse, type InvestmentTransaction, type Security } from 'plaid';
import type { Executor } from '../../services/item-status.js';
import type { SyncCounts } from '../../sync/sync-outcome.js';
import { decimal, serializeAccount, upsertAccounts } from './accounts.js';
import type { ProductSyncContext, RegistryEntry } from './registry-entry.js';

const PAGE_SIZE = 500;
export const FIRST_WINDOW_DAYS = 730;
export const WINDOW_OVERLAP_DAYS = 30;

export function shiftDate(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

async function windowStart(ctx: ProductSyncContext, end: string): Promise<string> {
  if (ctx.fromScratch) return shiftDate(end, -FIRST_WINDOW_DAYS);
  const rows = await ctx.sql<{ synced_through: string | null }[]>`
    select synced_through::text from sync_state where item_id = ${ctx.item.id} and product = 'investments'`;
  const through = rows[0]?.synced_through;
  return through ? shiftDate(through, -WINDOW_OVERLAP_DAYS) : shiftDate(end, -FIRST_WINDOW_DAYS);
}

function securityRecord(s: Security) {
  return {
    security_id: s.security_id, name: s.name, ticker_symbol: s.ticker_symbol, type: s.type, subtype: s.subtype ?? null,
    close_price: decimal(s.close_price), close_price_as_of: s.close_price_as_of, iso_currency_code: s.iso_currency_code,
    unofficial_currency_code: s.unofficial_currency_code, cusip: s.cusip, isin: s.isin, is_cash_equivalent: s.is_cash_equivalent,
  };
}

function investmentTransactionRecord(t: InvestmentTransaction) {
  return {
    id: t.investment_transaction_id, account_id: t.account_id, security_id: t.security_id, date: t.date, name: t.name,
    quantity: decimal(t.quantity), amount: decimal(t.amount), price: decimal(t.price), fees: decimal(t.fees),
    type: String(t.type), subtype: String(t.subtype), iso_currency_code: t.iso_currency_code,
    unofficial_currency_code: t.unofficial_currency_code,
  };
}

async function stage(ctx: ProductSyncContext, seq: number, kind: string, records: readonly object[]): Promise<void> {
  if (records.length === 0) return;
  ctx.staging();
  await ctx.sql`
    insert into sync_staged_records (run_id, seq, kind, payload)
    select ${ctx.runId}, ${seq} + ordinality::int, ${kind}, value
    from jsonb_array_elements(${JSON.stringify(records)}::jsonb) with ordinality`;
}

type Upserted = { inserted: boolean }[];

function countUpserted(rows: Upserted): SyncCounts {
  const added = rows.filter((row) => row.inserted).length;
  return { pages: 0, added, modified: rows.length - added, removed: 0 };
}

/**
 * Securities are Plaid's market data, shared by every item that holds them; a row is written only
 * when something in it changed (a new close price, a renamed fund), and such a write counts as a
 * change of this run: the app sees new prices on its holdings.
 */
async function writeSecurities(tx: Executor, runId: string, securities: readonly Security[]): Promise<SyncCounts> {
  const rows = await tx.execute(sql`
    insert into securities as s (
      security_id, name, ticker_symbol, type, subtype, close_price, close_price_as_of, iso_currency_code,
      unofficial_currency_code, cusip, isin, is_cash_equivalent
    )
    select distinct on (r.security_id) r.security_id, r.name, r.ticker_symbol, r.type, r.subtype, r.close_price::numeric,
      r.close_price_as_of::date, r.iso_currency_code, r.unofficial_currency_code, r.cusip, r.isin, r.is_cash_equivalent
    from (
      select value as payload, 0 as rank from jsonb_array_elements(${JSON.stringify(securities.map(securityRecord))}::jsonb)
      union all
      select payload, 1 from sync_staged_records where run_id = ${runId} and kind = 'security'
    ) staged,
    jsonb_to_record(staged.payload) as r(
      security_id text, name text, ticker_symbol text, type text, subtype text, close_price text, close_price_as_of text,
      iso_currency_code text, unofficial_currency_code text, cusip text, isin text, is_cash_equivalent boolean
    )
    order by r.security_id, staged.rank
    on conflict (security_id) do update set
      name = excluded.name, ticker_symbol = excluded.ticker_symbol, type = excluded.type, subtype = excluded.subtype,
      close_price = excluded.close_price, close_price_as_of = excluded.close_price_as_of,
      iso_currency_code = excluded.iso_currency_code, unofficial_currency_code = excluded.unofficial_currency_code,
      cusip = excluded.cusip, isin = excluded.isin, is_cash_equivalent = excluded.is_cash_equivalent, updated_at = now()
    where (s.name, s.ticker_symbol, s.type, s.subtype, s.close_price, s.close_price_as_of, s.iso_currency_code,
        s.unofficial_currency_code, s.cusip, s.isin, s.is_cash_equivalent)
      is distinct from (excluded.name, excluded.ticker_symbol, excluded.type, excluded.subtype, excluded.close_price,
        excluded.close_price_as_of, excluded.iso_currency_code, excluded.unofficial_currency_code, excluded.cusip,
        excluded.isin, excluded.is_cash_equivalent)
    returning (xmax = 0) as inserted`);
  return countUpserted(rows as unknown as Upserted);
}

/**
 * Holdings are a snapshot: for each returned account, what Plaid no longer lists is deleted. A
 * holding Plaid reports unchanged is not written again, so the counts are real changes.
 */
async function writeHoldings(tx: Executor, itemId: string, response: InvestmentsHoldingsGetResponse): Promise<SyncCounts> {
  const holdings = JSON.stringify(
    response.holdings.map((h) => ({
      account_id: h.account_id, security_id: h.security_id, quantity: decimal(h.quantity), price: decimal(h.institution_price),
      price_as_of: h.institution_price_as_of ?? null, value: decimal(h.institution_value), cost_basis: decimal(h.cost_basis),
      iso_currency_code: h.iso_currency_code, unofficial_currency_code: h.unofficial_currency_code,
    })),
  );
  const accountIds = JSON.stringify(response.accounts.map((a) => a.account_id));
  const deleted = await tx.execute(sql`
    with incoming as (
      select a.id as account_id, r.security_id
      from jsonb_to_recordset(${holdings}::jsonb) as r(account_id text, security_id text)
      join plaid_accounts a on a.plaid_account_id = r.account_id and a.item_id = ${itemId}
    )
    delete from investment_holdings h
    using plaid_accounts a
    where a.id = h.account_id and a.item_id = ${itemId}
      and a.plaid_account_id in (select jsonb_array_elements_text(${accountIds}::jsonb))
      and not exists (select 1 from incoming i where i.account_id = h.account_id and i.security_id = h.security_id)
    returning 1`);
  const upserted = (await tx.execute(sql`
    insert into investment_holdings as h (
      account_id, security_id, item_id, quantity, institution_price, institution_price_as_of, institution_value,
      cost_basis, iso_currency_code, unofficial_currency_code
    )
    select a.id, r.security_id, ${itemId}, r.quantity::numeric, r.price::numeric, r.price_as_of::date, r.value::numeric,
      r.cost_basis::numeric, r.iso_currency_code, r.unofficial_currency_code
    from jsonb_to_recordset(${holdings}::jsonb) as r(
      account_id text, security_id text, quantity text, price text, price_as_of text, value text, cost_basis text,
      iso_currency_code text, unofficial_currency_code text
    )
    join plaid_accounts a on a.plaid_account_id = r.account_id and a.item_id = ${itemId}
    on conflict (account_id, security_id) do update set
      quantity = excluded.quantity, institution_price = excluded.institution_price,
      institution_price_as_of = excluded.institution_price_as_of, institution_value = excluded.institution_value,
      cost_basis = excluded.cost_basis, iso_currency_code = excluded.iso_currency_code,
      unofficial_currency_code = excluded.unofficial_currency_code, updated_at = now()
    where (h.quantity, h.institution_price, h.institution_price_as_of, h.institution_value, h.cost_basis,
        h.iso_currency_code, h.unofficial_currency_code)
      is distinct from (excluded.quantity, excluded.institution_price, excluded.institution_price_as_of,
        excluded.institution_value, excluded.cost_basis, excluded.iso_currency_code, excluded.unofficial_currency_code)
    returning (xmax = 0) as inserted`)) as unknown as Upserted;
  return { ...countUpserted(upserted), removed: deleted.length };
}

async function writeInvestmentTransactions(tx: Executor, itemId: string, runId: string): Promise<SyncCounts> {
  const upserted = (await tx.execute(sql`
    insert into investment_transactions as t (
      plaid_investment_transaction_id, account_id, item_id, security_id, date, name, quantity, amount, price, fees,
      type, subtype, iso_currency_code, unofficial_currency_code
    )
    select distinct on (r.id) r.id, a.id, ${itemId}, r.security_id, r.date::date, r.name, r.quantity::numeric,
      r.amount::numeric, r.price::numeric, r.fees::numeric, r.type, r.subtype, r.iso_currency_code, r.unofficial_currency_code
    from sync_staged_records s,
      jsonb_to_record(s.payload) as r(
        id text, account_id text, security_id text, date text, name text, quantity text, amount text, price text,
        fees text, type text, subtype text, iso_currency_code text, unofficial_currency_code text
      )
    join plaid_accounts a on a.plaid_account_id = r.account_id and a.item_id = ${itemId}
    where s.run_id = ${runId} and s.kind = 'investment_transaction'
    order by r.id, s.seq desc
    on conflict (plaid_investment_transaction_id) do update set
      account_id = excluded.account_id, security_id = excluded.security_id, date = excluded.date, name = excluded.name,
      quantity = excluded.quantity, amount = excluded.amount, price = excluded.price, fees = excluded.fees,
      type = excluded.type, subtype = excluded.subtype, iso_currency_code = excluded.iso_currency_code,
      unofficial_currency_code = excluded.unofficial_currency_code, updated_at = now()
    where t.item_id = excluded.item_id
      -- The window overlaps the last run's by design: transactions seen again unchanged are not rewritten.
      and (t.account_id, t.security_id, t.date, t.name, t.quantity, t.amount, t.price, t.fees, t.type, t.subtype,
          t.iso_currency_code, t.unofficial_currency_code)
        is distinct from (excluded.account_id, excluded.security_id, excluded.date, excluded.name, excluded.quantity,
          excluded.amount, excluded.price, excluded.fees, excluded.type, excluded.subtype, excluded.iso_currency_code,
          excluded.unofficial_currency_code)
    returning (xmax = 0) as inserted`)) as unknown as Upserted;
  return countUpserted(upserted);
}

export async function syncInvestments(ctx: ProductSyncContext): Promise<SyncCounts> {
  const holdings = await ctx.call('/investments/holdings/get', (config) =>
    ctx.plaid.investmentsHoldingsGet({ access_token: ctx.accessToken }, config),
  );
  let pages = 1;
  await ctx.pageFetched(pages);
  const end = ctx.today();
  const start = await windowStart(ctx, end);
  let seq = 0;
  for (let offset = 0; ; ) {
    const page = await ctx.call('/investments/transactions/get', (config) =>
      ctx.plaid.investmentsTransactionsGet(
        // async_update: while Plaid is still extracting the history it answers PRODUCT_NOT_READY at
        // once (the product then waits for INVESTMENTS_TRANSACTIONS: HISTORICAL_UPDATE) instead of
        // holding the call for minutes.
        { access_token: ctx.accessToken, start_date: start, end_date: end, options: { count: PAGE_SIZE, offset, async_update: true } },
        config,
      ),
    );
    await stage(ctx, seq, 'investment_transaction', page.investment_transactions.map(investmentTransactionRecord));
    seq += page.investment_transactions.length;
    await stage(ctx, seq, 'security', page.securities.map(securityRecord));
    seq += page.securities.length;
    offset += page.investment_transactions.length;
    pages++;
    await ctx.pageFetched(pages);
    if (offset >= page.total_investment_transactions || page.investment_transactions.length === 0) break;
  }

  return ctx.commit(async (tx) => {
    const itemId = ctx.item.id;
    const isInvestment = (type: string) => type === 'investment' || type === 'brokerage';
    const accounts = await upsertAccounts(tx, {
      itemId,
      userId: ctx.item.userId,
      product: 'investments',
      accounts: holdings.accounts,
      insertable: (account) => isInvestment(String(account.type)),
    });
    const priced = await writeSecurities(tx, ctx.runId, holdings.securities);
    const held = await writeHoldings(tx, itemId, holdings);
    const traded = await writeInvestmentTransactions(tx, itemId, ctx.runId);
    await tx.execute(sql`
      insert into sync_state (item_id, product, synced_through) values (${itemId}, 'investments', ${end})
      on conflict (item_id, product) do update set synced_through = excluded.synced_through, updated_at = now()`);
    // Every count is of rows this commit actually changed, so a run that found nothing new says so.
    const parts = [accounts, priced, held, traded];
    const sum = (field: 'added' | 'modified') => parts.reduce((total, part) => total + part[field], 0);
    return { pages, added: sum('added'), modified: sum('modified'), removed: held.removed };
  });
}

export const investmentsEntry: RegistryEntry = {
  product: 'investments',
  plaidProduct: Products.Investments,
  queue: 'sync-investments',
  accounts: { [AccountType.Investment]: 'all', [AccountType.Brokerage]: 'all' },
  webhooks: ['HOLDINGS/DEFAULT_UPDATE', 'INVESTMENTS_TRANSACTIONS/DEFAULT_UPDATE', 'INVESTMENTS_TRANSACTIONS/HISTORICAL_UPDATE'],
  sync: syncInvestments,
  serializeAccount,
};
