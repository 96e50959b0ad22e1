import { and, eq, sql } from 'drizzle-orm';
import { accountExtended, plaidAccounts } from '../db/schema/index.js';
import { ConflictError, NotFoundError } from '../http/errors.js';
import type { Executor } from './item-status.js';
import { loadAccounts, type AccountRecord, type AccountSettings } from './read-models/index.js';
import { listTransactionPage, type TransactionFilters } from './transaction-pages.js';

export interface AccountRef {
  userId: string;
  accountId: string;
}

/** The user's account, or 404 (another user's account looks exactly like a missing one). */
export async function loadOwnedAccount(db: Executor, input: AccountRef) {
  const [account] = await db
    .select({ id: plaidAccounts.id, product: plaidAccounts.product, status: plaidAccounts.status, replacedBy: plaidAccounts.replacedBy })
    .from(plaidAccounts)
    .where(and(eq(plaidAccounts.id, input.accountId), eq(plaidAccounts.userId, input.userId)));
  if (!account) throw new NotFoundError('account');
  return account;
}

/** One of the user's accounts with its settings, or 404. */
export async function getAccount(db: Executor, input: AccountRef): Promise<AccountRecord> {
  const [account] = await loadAccounts(db, { userId: input.userId, ids: [input.accountId] });
  if (!account) throw new NotFoundError('account');
  return account;
}

/**
 * One page of an account's transactions, newest first (see `listTransactionPage`). Accounts of
 * disconnected items answer too; their history stays readable. An investment account's activity is
 * in its investment transactions, which have another shape: listing its (empty) transactions would
 * tell the app there is nothing, so the answer says where to look instead.
 */
export async function listAccountTransactions(db: Executor, input: AccountRef & TransactionFilters & { limit: number; cursor?: string | undefined }) {
  const account = await loadOwnedAccount(db, input);
  if (account.product === 'investments') {
    throw new ConflictError('investment_account', 'an investment account’s activity is listed by its investment-transactions route', {
      account_id: account.id,
      product: account.product,
      see: `/api/accounts/${account.id}/investment-transactions`,
    });
  }
  return listTransactionPage(db, { ...input, accountIds: [account.id] });
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
