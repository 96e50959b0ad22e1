import { InvestmentTransactionSubtype, InvestmentTransactionType } from './plaid-enums.js';
import type { Holding, InvestmentTransaction, Security } from 'plaid';
import { dayToDate } from './clock.js';
import { Rng, mix, plaidId } from './prng.js';

interface SecuritySpec {
  name: string;
  ticker: string | null;
  type: string;
  subtype: string;
  /** Price in cents. */
  price: number;
  cash?: boolean;
  sector: string | null;
  industry: string | null;
}

const SPECS: readonly SecuritySpec[] = [
  { name: 'Apple Inc.', ticker: 'AAPL', type: 'equity', subtype: 'common stock', price: 228_52, sector: 'Electronic Technology', industry: 'Telecommunications Equipment' },
  { name: 'Microsoft Corporation', ticker: 'MSFT', type: 'equity', subtype: 'common stock', price: 415_26, sector: 'Technology Services', industry: 'Packaged Software' },
  { name: 'Vanguard Total Stock Market ETF', ticker: 'VTI', type: 'etf', subtype: 'etf', price: 287_11, sector: null, industry: null },
  { name: 'iShares Core U.S. Aggregate Bond ETF', ticker: 'AGG', type: 'etf', subtype: 'etf', price: 98_74, sector: null, industry: null },
  { name: 'Vanguard 500 Index Fund Admiral Shares', ticker: 'VFIAX', type: 'mutual fund', subtype: 'mutual fund', price: 531_40, sector: null, industry: null },
  { name: 'Fidelity Government Money Market Fund', ticker: 'SPAXX', type: 'cash', subtype: 'money market', price: 1_00, cash: true, sector: null, industry: null },
  { name: 'U.S. Dollar', ticker: 'CUR:USD', type: 'cash', subtype: 'cash', price: 1_00, cash: true, sector: null, industry: null },
  { name: 'United States Treasury Bill 0% 2026', ticker: null, type: 'fixed income', subtype: 'bill', price: 99_12, sector: null, industry: null },
];

export function securityId(index: number): string {
  return plaidId(0x5ec, index);
}

function security(index: number, asOf: string): Security {
  const spec = SPECS[index] as SecuritySpec;
  return {
    security_id: securityId(index),
    isin: null, cusip: null, sedol: null,
    institution_security_id: null,
    institution_id: null,
    proxy_security_id: null,
    name: spec.name,
    ticker_symbol: spec.ticker,
    is_cash_equivalent: spec.cash ?? false,
    type: spec.type,
    subtype: spec.subtype,
    close_price: spec.price / 100,
    close_price_as_of: asOf,
    update_datetime: null,
    iso_currency_code: 'USD',
    unofficial_currency_code: null,
    market_identifier_code: spec.ticker !== null && !spec.cash ? 'XNAS' : null,
    sector: spec.sector,
    industry: spec.industry,
    cfi_code: null,
    figi: null,
    option_contract: null,
    fixed_income: null,
  };
}

export function securitiesFor(ids: Iterable<string>, asOf: string): Security[] {
  const wanted = new Set(ids);
  return SPECS.map((_, i) => i).filter((i) => wanted.has(securityId(i))).map((i) => security(i, asOf));
}

export function holding(accountId: string, securityIndex: number, quantityMilli: number, costPerUnitCents: number, asOf: string): Holding {
  const spec = SPECS[securityIndex] as SecuritySpec;
  const quantity = quantityMilli / 1000;
  return {
    account_id: accountId,
    security_id: securityId(securityIndex),
    institution_price: spec.price / 100,
    institution_price_as_of: asOf,
    institution_price_datetime: null,
    institution_value: Math.round((spec.price * quantityMilli) / 1000) / 100,
    cost_basis: Math.round((costPerUnitCents * quantityMilli) / 1000) / 100,
    quantity,
    iso_currency_code: 'USD',
    unofficial_currency_code: null,
    vested_quantity: null,
    vested_value: null,
  };
}

export function initialHoldings(itemKey: number, accountIds: readonly string[], asOf: string): Holding[] {
  const holdings: Holding[] = [];
  accountIds.forEach((accountId, a) => {
    const rng = new Rng(mix(itemKey, a, 0x401d));
    const picks = new Set<number>();
    const wanted = rng.between(3, 6);
    while (picks.size < wanted) picks.add(rng.int(SPECS.length));
    for (const index of [...picks].sort((x, y) => x - y)) {
      const price = (SPECS[index] as SecuritySpec).price;
      holdings.push(holding(accountId, index, rng.between(1_000, 400_000), Math.round(price * rng.between(60, 110) / 100), asOf));
    }
  });
  return holdings;
}

export function securityCount(): number {
  return SPECS.length;
}

/** Investment transactions for one account, newest first, as /investments/transactions/get orders them. */
export function initialInvestmentTransactions(itemKey: number, accountIds: readonly string[], today: number): InvestmentTransaction[] {
  const all: InvestmentTransaction[] = [];
  accountIds.forEach((accountId, a) => {
    const rng = new Rng(mix(itemKey, a, 0x17a));
    const n = rng.between(12, 30);
    for (let i = 0; i < n; i++) all.push(investmentTransaction(itemKey, accountId, a * 1000 + i, today - rng.between(0, 700), rng));
  });
  return sortNewestFirst(all);
}

export function investmentTransaction(itemKey: number, accountId: string, ordinal: number, day: number, rng: Rng): InvestmentTransaction {
  const index = rng.int(SPECS.length);
  const spec = SPECS[index] as SecuritySpec;
  const quantityMilli = rng.between(100, 50_000);
  const amount = Math.round((spec.price * quantityMilli) / 1000);
  const kind = spec.cash ? 'dividend' : rng.pick(['buy', 'buy', 'sell', 'dividend', 'fee'] as const);
  const base = {
    investment_transaction_id: plaidId(mix(itemKey, 0x17a), ordinal),
    cancel_transaction_id: null,
    account_id: accountId,
    date: dayToDate(day),
    transaction_datetime: null,
    iso_currency_code: 'USD',
    unofficial_currency_code: null,
  };
  switch (kind) {
    case 'buy':
      return { ...base, security_id: securityId(index), name: `BUY ${spec.name}`, quantity: quantityMilli / 1000, amount: amount / 100, price: spec.price / 100, fees: 0, type: InvestmentTransactionType.Buy, subtype: InvestmentTransactionSubtype.Buy };
    case 'sell':
      return { ...base, security_id: securityId(index), name: `SELL ${spec.name}`, quantity: -quantityMilli / 1000, amount: -amount / 100, price: spec.price / 100, fees: 0, type: InvestmentTransactionType.Sell, subtype: InvestmentTransactionSubtype.Sell };
    case 'dividend':
      return { ...base, security_id: securityId(index), name: `DIVIDEND ${spec.name}`, quantity: 0, amount: -rng.between(50, 9_000) / 100, price: 0, fees: null, type: InvestmentTransactionType.Cash, subtype: InvestmentTransactionSubtype.Dividend };
    case 'fee':
      return { ...base, security_id: null, name: 'ACCOUNT MAINTENANCE FEE', quantity: 0, amount: rng.between(100, 2_500) / 100, price: 0, fees: null, type: InvestmentTransactionType.Fee, subtype: InvestmentTransactionSubtype.AccountFee };
  }
}

export function sortNewestFirst(list: InvestmentTransaction[]): InvestmentTransaction[] {
  return list.sort((x, y) => (x.date === y.date ? x.investment_transaction_id.localeCompare(y.investment_transaction_id) : x.date < y.date ? 1 : -1));
}
