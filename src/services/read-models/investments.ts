import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { investmentHoldings, investmentTransactions, plaidAccounts, securities } from '../../db/schema/index.js';
import type { Executor } from '../item-status.js';
import type { HoldingRecord, InvestmentTransactionRecord, SecurityRecord } from './schemas.js';

type SecurityRow = typeof securities.$inferSelect;
type HoldingRow = typeof investmentHoldings.$inferSelect;
export type InvestmentTransactionRow = typeof investmentTransactions.$inferSelect;

export function securityRecord(row: SecurityRow): SecurityRecord {
  return {
    id: row.securityId,
    name: row.name,
    ticker_symbol: row.tickerSymbol,
    type: row.type,
    subtype: row.subtype,
    close_price: row.closePrice,
    close_price_as_of: row.closePriceAsOf,
    iso_currency_code: row.isoCurrencyCode,
    unofficial_currency_code: row.unofficialCurrencyCode,
    cusip: row.cusip,
    isin: row.isin,
    is_cash_equivalent: row.isCashEquivalent,
    updated_at: row.updatedAt.toISOString(),
  };
}

export function holdingRecord(row: HoldingRow, security: SecurityRow): HoldingRecord {
  return {
    account_id: row.accountId,
    security_id: row.securityId,
    quantity: row.quantity,
    institution_price: row.institutionPrice,
    institution_price_as_of: row.institutionPriceAsOf,
    institution_value: row.institutionValue,
    cost_basis: row.costBasis,
    iso_currency_code: row.isoCurrencyCode,
    unofficial_currency_code: row.unofficialCurrencyCode,
    updated_at: row.updatedAt.toISOString(),
    security: securityRecord(security),
  };
}

export function investmentTransactionRecord(row: InvestmentTransactionRow): InvestmentTransactionRecord {
  return {
    id: row.plaidInvestmentTransactionId,
    account_id: row.accountId,
    security_id: row.securityId,
    date: row.date,
    name: row.name,
    quantity: row.quantity,
    amount: row.amount,
    price: row.price,
    fees: row.fees,
    type: row.type,
    subtype: row.subtype,
    iso_currency_code: row.isoCurrencyCode,
    unofficial_currency_code: row.unofficialCurrencyCode,
  };
}

/**
 * Securities are shared by every user (Plaid's market data), but a user sees only those one of
 * their accounts holds or traded: ids cannot be probed across users, like every other record.
 */
function heldOrTradedBy(userId: string): SQL {
  return sql`(
    exists (
      select 1 from investment_holdings h join plaid_accounts a on a.id = h.account_id
      where h.security_id = ${securities.securityId} and a.user_id = ${userId})
    or exists (
      select 1 from investment_transactions t join plaid_accounts a on a.id = t.account_id
      where t.security_id = ${securities.securityId} and a.user_id = ${userId}))`;
}

/** The securities among `ids` (Plaid security ids) that the user holds or traded, in one query. */
export async function loadSecurities(db: Executor, input: { userId: string; ids: readonly string[] }): Promise<SecurityRecord[]> {
  if (input.ids.length === 0) return [];
  const rows = await db
    .select()
    .from(securities)
    .where(and(inArray(securities.securityId, [...input.ids]), heldOrTradedBy(input.userId)))
    .orderBy(asc(securities.securityId));
  return rows.map(securityRecord);
}

export interface HoldingKey {
  accountId: string;
  securityId: string;
}

/** The user's holdings named by (account, security), each with its security, in one query. */
export async function loadHoldings(db: Executor, input: { userId: string; keys: readonly HoldingKey[] }): Promise<HoldingRecord[]> {
  if (input.keys.length === 0) return [];
  const h = investmentHoldings;
  const keys = JSON.stringify(input.keys.map((k) => ({ account_id: k.accountId, security_id: k.securityId })));
  const rows = await db
    .select({ holding: h, security: securities })
    .from(h)
    .innerJoin(plaidAccounts, eq(plaidAccounts.id, h.accountId))
    .innerJoin(securities, eq(securities.securityId, h.securityId))
    .where(
      and(
        eq(plaidAccounts.userId, input.userId),
        sql`(${h.accountId}, ${h.securityId}) in (select k.account_id, k.security_id from jsonb_to_recordset(${keys}::jsonb) as k(account_id uuid, security_id text))`,
      ),
    )
    .orderBy(asc(h.accountId), desc(h.institutionValue), asc(h.securityId));
  return rows.map((row) => holdingRecord(row.holding, row.security));
}

/** Every holding of one account (a few dozen at most: holdings are a snapshot, not a history), largest first. */
export async function loadAccountHoldings(db: Executor, accountId: string): Promise<HoldingRecord[]> {
  const h = investmentHoldings;
  const rows = await db
    .select({ holding: h, security: securities })
    .from(h)
    .innerJoin(securities, eq(securities.securityId, h.securityId))
    .where(eq(h.accountId, accountId))
    .orderBy(desc(h.institutionValue), asc(h.securityId));
  return rows.map((row) => holdingRecord(row.holding, row.security));
}

/** The user's investment transactions among `ids` (Plaid ids), in one query, newest first. */
export async function loadInvestmentTransactions(db: Executor, input: { userId: string; ids: readonly string[] }): Promise<InvestmentTransactionRecord[]> {
  if (input.ids.length === 0) return [];
  const t = investmentTransactions;
  const rows = await db
    .select({ transaction: t })
    .from(t)
    .innerJoin(plaidAccounts, eq(plaidAccounts.id, t.accountId))
    .where(and(eq(plaidAccounts.userId, input.userId), inArray(t.plaidInvestmentTransactionId, [...input.ids])))
    .orderBy(desc(t.date), desc(t.plaidInvestmentTransactionId));
  return rows.map((row) => investmentTransactionRecord(row.transaction));
}
