import { asc, eq } from 'drizzle-orm';
import { accountExtended, plaidAccounts } from '../db/schema/index.js';
import { REGISTRY } from '../plaid/products/registry.js';
import type { AccountRow } from './account-records.js';
import { actionFor, type ItemRow } from './item-access.js';
import type { Executor } from './item-status.js';

/** An item as the API shows it: never the access token, in any form. */
export function itemView(item: ItemRow) {
  return {
    id: item.id,
    plaid_item_id: item.plaidItemId,
    institution_id: item.institutionId,
    institution_name: item.institutionName,
    product: item.product,
    products: item.products,
    status: item.status,
    action: actionFor(item.status),
    error_code: item.errorCode,
    new_accounts_available: item.newAccountsAvailable,
    consent_expires_at: item.consentExpiresAt?.toISOString() ?? null,
    created_at: item.createdAt.toISOString(),
    updated_at: item.updatedAt.toISOString(),
    disconnected_at: item.disconnectedAt?.toISOString() ?? null,
  };
}

export interface AccountSettings {
  nickname: string | null;
  notes: string | null;
  payment_status: string | null;
}

/**
 * An account as the API shows it: the product's own serializer (through the registry, so a product
 * can add fields) plus what the app needs around it. Balances stay the exact decimal strings Postgres
 * holds; a JSON number would invite float maths.
 */
export function accountView(account: AccountRow, settings: AccountSettings | null) {
  return {
    ...REGISTRY[account.product].serializeAccount(account),
    plaid_account_id: account.plaidAccountId,
    replaced_by: account.replacedBy,
    settings: settings ?? { nickname: null, notes: null, payment_status: null },
  };
}

export type AccountView = ReturnType<typeof accountView>;

/** Every account of an item (active, inactive and replaced alike: history stays readable). */
export async function accountViewsOf(db: Executor, itemId: string): Promise<AccountView[]> {
  const rows = await db
    .select({ account: plaidAccounts, nickname: accountExtended.nickname, notes: accountExtended.notes, paymentStatus: accountExtended.paymentStatus })
    .from(plaidAccounts)
    .leftJoin(accountExtended, eq(accountExtended.accountId, plaidAccounts.id))
    .where(eq(plaidAccounts.itemId, itemId))
    .orderBy(asc(plaidAccounts.createdAt), asc(plaidAccounts.plaidAccountId));
  return rows.map((row) => accountView(row.account, { nickname: row.nickname, notes: row.notes, payment_status: row.paymentStatus }));
}
