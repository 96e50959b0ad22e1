import { and, asc, eq, inArray } from 'drizzle-orm';
import { accountExtended, plaidAccounts } from '../../db/schema/index.js';
import { REGISTRY } from '../../plaid/products/registry.js';
import type { AccountRow } from '../account-records.js';
import type { Executor } from '../item-status.js';
import type { AccountRecord, AccountSettings } from './schemas.js';

const NO_SETTINGS: AccountSettings = { nickname: null, notes: null, payment_status: null };

/**
 * An account as the API shows it: the product's own serializer (through the registry, so a product
 * can add fields) plus what the app needs around it. Balances stay the exact decimal strings Postgres
 * holds; a JSON number would invite float maths.
 */
export function accountRecord(account: AccountRow, settings: AccountSettings | null): AccountRecord {
  return {
    ...REGISTRY[account.product].serializeAccount(account),
    plaid_account_id: account.plaidAccountId,
    replaced_by: account.replacedBy,
    settings: settings ?? NO_SETTINGS,
  };
}

const withSettings = {
  account: plaidAccounts,
  nickname: accountExtended.nickname,
  notes: accountExtended.notes,
  paymentStatus: accountExtended.paymentStatus,
};

type AccountWithSettings = { account: AccountRow; nickname: string | null; notes: string | null; paymentStatus: string | null };

const toRecord = (row: AccountWithSettings) => accountRecord(row.account, { nickname: row.nickname, notes: row.notes, payment_status: row.paymentStatus });

/** The user's accounts among `ids`, in one query; ids that are not the user's are left out. */
export async function loadAccounts(db: Executor, input: { userId: string; ids: readonly string[] }): Promise<AccountRecord[]> {
  if (input.ids.length === 0) return [];
  const rows = await db
    .select(withSettings)
    .from(plaidAccounts)
    .leftJoin(accountExtended, eq(accountExtended.accountId, plaidAccounts.id))
    .where(and(eq(plaidAccounts.userId, input.userId), inArray(plaidAccounts.id, [...input.ids])))
    .orderBy(asc(plaidAccounts.createdAt), asc(plaidAccounts.plaidAccountId));
  return rows.map(toRecord);
}

/** Every account of the given items (active, inactive and replaced alike: history stays readable). */
export async function loadItemAccounts(db: Executor, itemIds: readonly string[]): Promise<AccountRecord[]> {
  if (itemIds.length === 0) return [];
  const rows = await db
    .select(withSettings)
    .from(plaidAccounts)
    .leftJoin(accountExtended, eq(accountExtended.accountId, plaidAccounts.id))
    .where(inArray(plaidAccounts.itemId, [...itemIds]))
    .orderBy(asc(plaidAccounts.createdAt), asc(plaidAccounts.plaidAccountId));
  return rows.map(toRecord);
}
