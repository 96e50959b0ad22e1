import { and, desc, eq, sql } from 'drizzle-orm';
import { accountExtended, plaidAccounts, plaidTransactions } from '../db/schema/index.js';
import { ConflictError, NotFoundError } from '../http/errors.js';
import type { Executor } from './item-status.js';
import { transactionRecord, type AccountSettings } from './read-models/index.js';
import { decodeCursor, encodeCursor } from './transaction-cursor.js';

interface AccountRef {
  userId: string;
  accountId: string;
}

/** The user's account, or 404 (another user's account looks exactly like a missing one). */
async function loadOwnedAccount(db: Executor, input: AccountRef) {
  const [account] = await db
    .select({ id: plaidAccounts.id, status: plaidAccounts.status, replacedBy: plaidAccounts.replacedBy })
    .from(plaidAccounts)
    .where(and(eq(plaidAccounts.id, input.accountId), eq(plaidAccounts.userId, input.userId)));
  if (!account) throw new NotFoundError('account');
  return account;
}

/**
 * One page of an account's transactions, newest first, by keyset on (date desc, id desc): stable
 * while new transactions arrive, and as cheap on page 1000 as on page 1. Accounts of disconnected
 * items answer too; their history stays readable.
 */
export async function listAccountTransactions(db: Executor, input: AccountRef & { limit: number; cursor?: string | undefined }) {
  const account = await loadOwnedAccount(db, input);
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  const t = plaidTransactions;
  const rows = await db
    .select()
    .from(t)
    .where(and(eq(t.accountId, account.id), after ? sql`(${t.date}, ${t.plaidTransactionId}) < (${after.date}::date, ${after.id})` : undefined))
    .orderBy(desc(t.date), desc(t.plaidTransactionId))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    transactions: page.map(transactionRecord),
    next_cursor: rows.length > input.limit && last ? encodeCursor({ date: last.date, id: last.plaidTransactionId }) : null,
  };
}

/**
 * The user's own settings for an account; only the fields sent change (`null` clears one). A
 * replaced account's settings live on its successor now, so editing the old one is refused.
 */
export async function updateAccountSettings(db: Executor, input: AccountRef & { settings: Partial<AccountSettings> }): Promise<AccountSettings> {
  const account = await loadOwnedAccount(db, input);
  if (account.status === 'replaced') {
    throw new ConflictError('account_replaced', 'the account was replaced by a re-linked account; edit that one', { replaced_by: account.replacedBy });
  }
  const changes = {
    ...('nickname' in input.settings ? { nickname: input.settings.nickname } : {}),
    ...('notes' in input.settings ? { notes: input.settings.notes } : {}),
    ...('payment_status' in input.settings ? { paymentStatus: input.settings.payment_status } : {}),
  };
  const [row] = await db
    .insert(accountExtended)
    .values({ accountId: account.id, ...changes })
    .onConflictDoUpdate({ target: accountExtended.accountId, set: { ...changes, updatedAt: sql`now()` } })
    .returning();
  return { nickname: row!.nickname, notes: row!.notes, payment_status: row!.paymentStatus };
}
