/**
 * "The record as stored now" for a page of feed rows, through the read models the read endpoints
 * use (one set-based loader per kind, each scoped to the user), so a record in the feed looks
 * exactly like the same record read directly.
 */
import type { Executor } from './item-status.js';
import {
  loadAccounts,
  loadHoldings,
  loadInvestmentTransactions,
  loadItems,
  loadLiabilities,
  loadSecurities,
  loadTransactions,
} from './read-models/index.js';

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The current record of every ref, keyed by `recordKey`; a ref whose record is gone has no entry. */
export async function loadCurrentRecords(db: Executor, userId: string, refs: readonly FeedRef[]): Promise<Map<string, object>> {
  const ids = (type: RecordType) => [...new Set(refs.filter((r) => recordTypeOf(r.kind) === type).map((r) => r.entityId))];
  const uuids = (type: RecordType) => ids(type).filter((id) => UUID.test(id));
  const holdingKeys = refs
    .filter((r) => recordTypeOf(r.kind) === 'holding' && r.accountId !== null)
    .map((r) => ({ accountId: r.accountId!, securityId: r.entityId }));
  // Sent together: they pipeline on the read's one connection.
  const [transactions, holdings, securities, investmentTransactions, liabilities, accounts, items] = await Promise.all([
    loadTransactions(db, { userId, ids: ids('transaction') }),
    loadHoldings(db, { userId, keys: holdingKeys }),
    loadSecurities(db, { userId, ids: ids('security') }),
    loadInvestmentTransactions(db, { userId, ids: ids('investment_transaction') }),
    loadLiabilities(db, { userId, ids: uuids('liability') }),
    loadAccounts(db, { userId, ids: uuids('account') }),
    loadItems(db, { userId, ids: uuids('item') }),
  ]);
  const loaded = new Map<string, object>();
  for (const t of transactions) loaded.set(`transaction:${t.id}`, t);
  for (const h of holdings) loaded.set(`holding:${h.account_id}:${h.security_id}`, h);
  for (const s of securities) loaded.set(`security:${s.id}`, s);
  for (const t of investmentTransactions) loaded.set(`investment_transaction:${t.id}`, t);
  for (const l of liabilities) loaded.set(`liability:${l.account_id}`, l);
  for (const a of accounts) loaded.set(`account:${a.id}`, a);
  for (const i of items) loaded.set(`item:${i.id}`, i);
  return loaded;
}
