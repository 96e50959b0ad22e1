import { loadOwnedAccount, type AccountRef } from './account-service.js';
import type { Executor } from './item-status.js';
import { loadLiabilities, type LiabilityRecord } from './read-models/index.js';

/**
 * The account's liability (credit card, mortgage or student loan), as a list of zero or one: an
 * account Plaid reports no liability for (a checking account, a card paid off and closed) has none.
 */
export async function listAccountLiabilities(db: Executor, input: AccountRef): Promise<{ liabilities: LiabilityRecord[] }> {
  const account = await loadOwnedAccount(db, input);
  return { liabilities: await loadLiabilities(db, { userId: input.userId, ids: [account.id] }) };
}
