import { and, desc, eq, gte, lte, sql } from 'drizzle-orm';
import { investmentTransactions } from '../db/schema/index.js';
import { NotFoundError } from '../http/errors.js';
import { loadOwnedAccount, type AccountRef } from './account-service.js';
import type { Executor } from './item-status.js';
import {
  investmentTransactionRecord,
  loadAccountHoldings,
  loadSecurities,
  type HoldingRecord,
  type InvestmentTransactionRecord,
  type SecurityRecord,
} from './read-models/index.js';
import { decodeCursor, encodeCursor } from './transaction-cursor.js';

/** The account's holdings, each with its security, largest value first. Empty for an account without any. */
export async function listAccountHoldings(db: Executor, input: AccountRef): Promise<{ holdings: HoldingRecord[] }> {
  const account = await loadOwnedAccount(db, input);
  return { holdings: await loadAccountHoldings(db, account.id) };
}

/** A security one of the user's accounts holds or traded, or 404 (the same for one never seen). */
export async function getSecurity(db: Executor, input: { userId: string; securityId: string }): Promise<SecurityRecord> {
  const [security] = await loadSecurities(db, { userId: input.userId, ids: [input.securityId] });
  if (!security) throw new NotFoundError('security');
  return security;
}

export interface InvestmentTransactionPageInput extends AccountRef {
  startDate?: string | undefined;
  endDate?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** One page of an account's investment transactions, newest first, by keyset on (date desc, id desc). */
export async function listInvestmentTransactions(
  db: Executor,
  input: InvestmentTransactionPageInput,
): Promise<{ investment_transactions: InvestmentTransactionRecord[]; next_cursor: string | null }> {
  const account = await loadOwnedAccount(db, input);
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  const t = investmentTransactions;
  const rows = await db
    .select()
    .from(t)
    .where(
      and(
        eq(t.accountId, account.id),
        input.startDate === undefined ? undefined : gte(t.date, input.startDate),
        input.endDate === undefined ? undefined : lte(t.date, input.endDate),
        after ? sql`(${t.date}, ${t.plaidInvestmentTransactionId}) < (${after.date}::date, ${after.id})` : undefined,
      ),
    )
    .orderBy(desc(t.date), desc(t.plaidInvestmentTransactionId))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    investment_transactions: page.map(investmentTransactionRecord),
    next_cursor: rows.length > input.limit && last ? encodeCursor({ date: last.date, id: last.plaidInvestmentTransactionId }) : null,
  };
}
