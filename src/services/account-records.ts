import type { AccountBase } from 'plaid';
import { plaidAccounts, type Product } from '../db/schema/index.js';
import { productForAccount } from './account-products.js';
import type { Executor } from './item-status.js';

export type AccountRow = typeof plaidAccounts.$inferSelect;

// Plaid's balances arrive as JSON numbers; they go into `numeric` columns as text so that no float
// arithmetic ever touches them on our side.
const money = (value: number | null | undefined) => (value === null || value === undefined ? null : String(value));

/**
 * Stores Plaid's accounts for an item in one statement, each scoped to its product. Accounts
 * already stored (same Plaid account id) are left alone, so repeating this after update mode adds
 * only the accounts the user newly shared.
 */
export async function insertPlaidAccounts(
  db: Executor,
  input: { itemId: string; userId: string; linkedProduct: Product; entitledProducts?: readonly Product[]; accounts: readonly AccountBase[] },
): Promise<AccountRow[]> {
  if (input.accounts.length === 0) return [];
  return db
    .insert(plaidAccounts)
    .values(
      input.accounts.map((account) => ({
        itemId: input.itemId,
        userId: input.userId,
        plaidAccountId: account.account_id,
        product: productForAccount(account, input.linkedProduct, input.entitledProducts),
        name: account.name,
        officialName: account.official_name,
        mask: account.mask,
        type: account.type,
        subtype: account.subtype,
        balanceAvailable: money(account.balances.available),
        balanceCurrent: money(account.balances.current),
        balanceLimit: money(account.balances.limit),
        isoCurrencyCode: account.balances.iso_currency_code,
        unofficialCurrencyCode: account.balances.unofficial_currency_code,
        persistentAccountId: account.persistent_account_id ?? null,
        balancesUpdatedAt: new Date(),
      })),
    )
    .onConflictDoNothing({ target: plaidAccounts.plaidAccountId })
    .returning();
}
