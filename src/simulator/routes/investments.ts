import type { Hono } from 'hono';
import { Products } from '../plaid-enums.js';
import type {
  InvestmentsHoldingsGetRequest, InvestmentsHoldingsGetResponse, InvestmentsTransactionsGetRequest,
  InvestmentsTransactionsGetResponse,
} from 'plaid';
import { z } from 'zod';
import { isInvestmentAccount, toInvestmentAccount } from '../accounts.js';
import { dayToDate } from '../clock.js';
import type { SimulatorContext } from '../context.js';
import { securitiesFor } from '../investments-data.js';
import { itemObject, requireProductAccounts, selectAccounts } from '../item-views.js';
import { plaidErrors } from '../plaid-errors.js';
import { plaidRoute } from '../plaid-route.js';
import { accountIdsOptions, isoDate, withAccessToken } from './schemas.js';

const holdingsGet = z.object({ ...withAccessToken, options: accountIdsOptions });
const transactionsGet = z.object({
  ...withAccessToken,
  start_date: isoDate,
  end_date: isoDate,
  options: z.object({
    account_ids: z.array(z.string()).optional(),
    count: z.number().int().min(1).max(500).optional(),
    offset: z.number().int().min(0).optional(),
    async_update: z.boolean().optional(),
  }).optional(),
});

export function registerInvestmentRoutes(app: Hono, ctx: SimulatorContext): void {
  plaidRoute<InvestmentsHoldingsGetRequest, InvestmentsHoldingsGetResponse>(app, ctx, '/investments/holdings/get', holdingsGet, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    const investmentAccounts = requireProductAccounts(item, Products.Investments, (a) => isInvestmentAccount(a.kind), plaidErrors.noInvestmentAccounts, ctx.calls);
    const accounts = selectAccounts(investmentAccounts, req.options?.account_ids);
    const ids = new Set(accounts.map((a) => a.account.account_id));
    const holdings = item.holdings.filter((h) => ids.has(h.account_id)).map((h) => ({ ...h }));
    return {
      accounts: accounts.map((a) => toInvestmentAccount(structuredClone(a.account))),
      holdings,
      securities: securitiesFor(holdings.map((h) => h.security_id), dayToDate(ctx.clock.todayDay())),
      item: itemObject(item),
    };
  });

  plaidRoute<InvestmentsTransactionsGetRequest, InvestmentsTransactionsGetResponse>(app, ctx, '/investments/transactions/get', transactionsGet, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    if (req.start_date > req.end_date) throw plaidErrors.invalidField('start_date must be on or before end_date');
    const investmentAccounts = requireProductAccounts(item, Products.Investments, (a) => isInvestmentAccount(a.kind), plaidErrors.noInvestmentAccounts, ctx.calls);
    // Plaid would hold a call without async_update until the data is there; async_update asks for
    // PRODUCT_NOT_READY instead, until INVESTMENTS_TRANSACTIONS: HISTORICAL_UPDATE.
    if (req.options?.async_update === true && item.ready !== 'historical') throw plaidErrors.productNotReady();
    const accounts = selectAccounts(investmentAccounts, req.options?.account_ids);
    const ids = new Set(accounts.map((a) => a.account.account_id));
    const matching = item.investmentTransactions.filter((t) => ids.has(t.account_id) && t.date >= req.start_date && t.date <= req.end_date);
    const offset = req.options?.offset ?? 0;
    const page = matching.slice(offset, offset + (req.options?.count ?? 100)).map((t) => ({ ...t }));
    const securityIds = page.flatMap((t) => (t.security_id === null ? [] : [t.security_id]));
    return {
      item: itemObject(item),
      accounts: accounts.map((a) => toInvestmentAccount(structuredClone(a.account))),
      securities: securitiesFor(securityIds, dayToDate(ctx.clock.todayDay())),
      investment_transactions: page,
      total_investment_transactions: matching.length,
    };
  });
}
