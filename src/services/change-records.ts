/**
 * "The record as stored now" for a page of feed rows: one query per kind of record present in the
 * page (never one per row), each restricted to the calling user's own rows.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import {
  accountExtended,
  investmentHoldings,
  investmentTransactions,
  liabilities,
  plaidAccounts,
  plaidItems,
  plaidTransactions,
  securities,
} from '../db/schema/index.js';
import type { Executor } from './item-status.js';
import { accountView, itemView } from './item-views.js';

/** What a feed row names: the record's own id and, where it has them, its account and item. */
export interface FeedRef {
  kind: string;
  entityId: string;
  accountId: string | null;
  itemId: string | null;
}

/** The table a kind's records live in: the part of the kind before the dot. */
export type RecordType = 'transaction' | 'holding' | 'security' | 'investment_transaction' | 'liability' | 'account' | 'item';

export function recordTypeOf(kind: string): RecordType {
  return kind.slice(0, kind.indexOf('.')) as RecordType;
}

/** A key unique across record types, to match a feed row with its loaded record. */
export function recordKey(ref: FeedRef): string {
  const type = recordTypeOf(ref.kind);
  return type === 'holding' ? `holding:${ref.accountId}:${ref.entityId}` : `${type}:${ref.entityId}`;
}

type Loaded = Map<string, object>;

type SecurityRow = typeof securities.$inferSelect;

export function securityRecord(s: SecurityRow) {
  return {
    id: s.securityId,
    name: s.name,
    ticker_symbol: s.tickerSymbol,
    type: s.type,
    subtype: s.subtype,
    close_price: s.closePrice,
    close_price_as_of: s.closePriceAsOf,
    iso_currency_code: s.isoCurrencyCode,
    unofficial_currency_code: s.unofficialCurrencyCode,
    cusip: s.cusip,
    isin: s.isin,
    is_cash_equivalent: s.isCashEquivalent,
  };
}

async function loadTransactions(db: Executor, userId: string, ids: string[], into: Loaded) {
  const rows = await db
    .select({ t: plaidTransactions })
    .from(plaidTransactions)
    .innerJoin(plaidAccounts, eq(plaidAccounts.id, plaidTransactions.accountId))
    .where(and(inArray(plaidTransactions.plaidTransactionId, ids), eq(plaidAccounts.userId, userId)));
  for (const { t } of rows) {
    into.set(`transaction:${t.plaidTransactionId}`, {
      id: t.plaidTransactionId,
      account_id: t.accountId,
      date: t.date,
      authorized_date: t.authorizedDate,
      name: t.name,
      merchant_name: t.merchantName,
      amount: t.amount,
      iso_currency_code: t.isoCurrencyCode,
      unofficial_currency_code: t.unofficialCurrencyCode,
      pending: t.pending,
      pending_transaction_id: t.pendingTransactionId,
      category_primary: t.categoryPrimary,
      category_detailed: t.categoryDetailed,
      payment_channel: t.paymentChannel,
    });
  }
}

async function loadHoldings(db: Executor, userId: string, refs: FeedRef[], into: Loaded) {
  const pairs = JSON.stringify(refs.map((r) => [r.accountId, r.entityId]));
  const rows = await db
    .select({ h: investmentHoldings, s: securities })
    .from(investmentHoldings)
    .innerJoin(plaidAccounts, eq(plaidAccounts.id, investmentHoldings.accountId))
    .innerJoin(securities, eq(securities.securityId, investmentHoldings.securityId))
    .where(
      and(
        eq(plaidAccounts.userId, userId),
        sql`(${investmentHoldings.accountId}::text, ${investmentHoldings.securityId}) in (
          select p->>0, p->>1 from jsonb_array_elements(${pairs}::jsonb) as p)`,
      ),
    );
  for (const { h, s } of rows) {
    into.set(`holding:${h.accountId}:${h.securityId}`, {
      account_id: h.accountId,
      security_id: h.securityId,
      quantity: h.quantity,
      institution_price: h.institutionPrice,
      institution_price_as_of: h.institutionPriceAsOf,
      institution_value: h.institutionValue,
      cost_basis: h.costBasis,
      iso_currency_code: h.isoCurrencyCode,
      unofficial_currency_code: h.unofficialCurrencyCode,
      security: securityRecord(s),
    });
  }
}

async function loadSecurities(db: Executor, ids: string[], into: Loaded) {
  // Public reference data: the feed row itself was addressed to this user because they hold it.
  const rows = await db.select().from(securities).where(inArray(securities.securityId, ids));
  for (const s of rows) into.set(`security:${s.securityId}`, securityRecord(s));
}

async function loadInvestmentTransactions(db: Executor, userId: string, ids: string[], into: Loaded) {
  const rows = await db
    .select({ t: investmentTransactions })
    .from(investmentTransactions)
    .innerJoin(plaidAccounts, eq(plaidAccounts.id, investmentTransactions.accountId))
    .where(and(inArray(investmentTransactions.plaidInvestmentTransactionId, ids), eq(plaidAccounts.userId, userId)));
  for (const { t } of rows) {
    into.set(`investment_transaction:${t.plaidInvestmentTransactionId}`, {
      id: t.plaidInvestmentTransactionId,
      account_id: t.accountId,
      security_id: t.securityId,
      date: t.date,
      name: t.name,
      quantity: t.quantity,
      amount: t.amount,
      price: t.price,
      fees: t.fees,
      type: t.type,
      subtype: t.subtype,
      iso_currency_code: t.isoCurrencyCode,
      unofficial_currency_code: t.unofficialCurrencyCode,
    });
  }
}

async function loadLiabilities(db: Executor, userId: string, ids: string[], into: Loaded) {
  const rows = await db
    .select({ l: liabilities })
    .from(liabilities)
    .innerJoin(plaidAccounts, eq(plaidAccounts.id, liabilities.accountId))
    .where(and(inArray(liabilities.accountId, ids), eq(plaidAccounts.userId, userId)));
  for (const { l } of rows) into.set(`liability:${l.accountId}`, { account_id: l.accountId, kind: l.kind, detail: l.detail });
}

async function loadAccounts(db: Executor, userId: string, ids: string[], into: Loaded) {
  const rows = await db
    .select({ account: plaidAccounts, settings: accountExtended })
    .from(plaidAccounts)
    .leftJoin(accountExtended, eq(accountExtended.accountId, plaidAccounts.id))
    .where(and(inArray(plaidAccounts.id, ids), eq(plaidAccounts.userId, userId)));
  for (const { account, settings } of rows) {
    const own = settings ? { nickname: settings.nickname, notes: settings.notes, payment_status: settings.paymentStatus } : null;
    into.set(`account:${account.id}`, accountView(account, own));
  }
}

async function loadItems(db: Executor, userId: string, ids: string[], into: Loaded) {
  const rows = await db.select().from(plaidItems).where(and(inArray(plaidItems.id, ids), eq(plaidItems.userId, userId)));
  for (const item of rows) into.set(`item:${item.id}`, itemView(item));
}

/** The current record of every ref, keyed by `recordKey`; a ref whose record is gone has no entry. */
export async function loadCurrentRecords(db: Executor, userId: string, refs: readonly FeedRef[]): Promise<Loaded> {
  const byType = new Map<RecordType, FeedRef[]>();
  for (const ref of refs) {
    const type = recordTypeOf(ref.kind);
    byType.set(type, [...(byType.get(type) ?? []), ref]);
  }
  const loaded: Loaded = new Map();
  const ids = (type: RecordType) => [...new Set((byType.get(type) ?? []).map((r) => r.entityId))];
  const uuids = (type: RecordType) => ids(type).filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  const work: Promise<void>[] = [];
  if (byType.has('transaction')) work.push(loadTransactions(db, userId, ids('transaction'), loaded));
  if (byType.has('holding')) work.push(loadHoldings(db, userId, byType.get('holding') ?? [], loaded));
  if (byType.has('security')) work.push(loadSecurities(db, ids('security'), loaded));
  if (byType.has('investment_transaction')) work.push(loadInvestmentTransactions(db, userId, ids('investment_transaction'), loaded));
  if (byType.has('liability')) work.push(loadLiabilities(db, userId, uuids('liability'), loaded));
  if (byType.has('account')) work.push(loadAccounts(db, userId, uuids('account'), loaded));
  if (byType.has('item')) work.push(loadItems(db, userId, uuids('item'), loaded));
  // Sent together: they pipeline on the read's one connection.
  await Promise.all(work);
  return loaded;
}
