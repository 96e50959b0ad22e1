import { eq, sql } from 'drizzle-orm';
import type { ItemWithConsentFields } from 'plaid';
import { isProduct, plaidItems, type Product } from '../db/schema/index.js';
import { ConflictError } from '../http/errors.js';
import { classifyPlaidError, itemErrorEffect } from '../plaid/errors.js';
import { entitledProductsOf, inferLinkedProduct, itemMetadataColumns } from '../plaid/item-products.js';
import { callPlaid, PlaidRequestError } from '../plaid/plaid-request-error.js';
import { insertPlaidAccounts } from './account-records.js';
import { accessTokenOf, itemDisconnectedError, loadOwnedItem, type ItemRow } from './item-access.js';
import { markItemActive, markItemDisconnected, markItemNeedsReauth } from './item-status.js';
import { getItem } from './item-service.js';
import type { ServiceDeps } from './service-deps.js';
import { requestSyncs } from './sync-requests.js';

/**
 * Update mode completion (Fix Connection). Plaid repaired the existing item in place, so there is
 * no token to exchange: `/item/get` confirms the repair, the item becomes `active` again under the
 * same id, and accounts the user newly shared during account selection are added; nothing existing
 * is duplicated.
 */
export async function completeReauth(deps: ServiceDeps, input: { userId: string; itemId: string }) {
  const item = await loadOwnedItem(deps.db, input);
  if (item.status === 'disconnected') throw itemDisconnectedError(item.id);
  const accessToken = accessTokenOf(deps.vault, item);
  const metadata = await confirmRepaired(deps, item, accessToken);
  const { accounts } = await callPlaid(() => deps.plaid.accountsGet({ access_token: accessToken }));
  const linkedProduct: Product = item.product ?? inferLinkedProduct(metadata) ?? 'transactions';
  const entitledProducts = [...new Set([...item.entitledProducts.filter(isProduct), ...entitledProductsOf(metadata, linkedProduct)])].sort();

  await deps.db.transaction(async (tx) => {
    await markItemActive(tx, item.id);
    await tx
      .update(plaidItems)
      // Update mode is how Plaid has the user renew consent and answer a pending disconnect, so the
      // item's warnings are Plaid's answer now: its consent expiry as /item/get gives it, no disconnect.
      .set({
        ...itemMetadataColumns(metadata),
        entitledProducts,
        newAccountsAvailable: false,
        pendingDisconnectAt: null,
        updatedInLinkAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(eq(plaidItems.id, item.id));
    await insertPlaidAccounts(tx, { itemId: item.id, userId: item.userId, linkedProduct, entitledProducts, accounts });
  });
  deps.logger.info({ itemId: item.id, userId: item.userId }, 'item_reauthenticated');

  await requestSyncs(deps, { itemId: item.id, products: entitledProducts, trigger: 'reauth' });
  return getItem(deps.db, input);
}

async function confirmRepaired(deps: ServiceDeps, item: ItemRow, accessToken: string): Promise<ItemWithConsentFields> {
  let metadata: ItemWithConsentFields;
  try {
    metadata = (await deps.plaid.itemGet({ access_token: accessToken })).data.item;
  } catch (error) {
    const classified = classifyPlaidError(error);
    if (classified.kind === 'revoked') {
      await deps.db.transaction((tx) => markItemDisconnected(tx, item.id, { code: classified.code, message: classified.message }));
      throw itemDisconnectedError(item.id);
    }
    throw new PlaidRequestError(classified);
  }
  // Still an error only the user can fix in update mode: the login, a permission, an eligible account.
  if (metadata.error && itemErrorEffect(metadata.error.error_code) === 'needs_reauth') {
    await markItemNeedsReauth(deps.db, item.id, { code: metadata.error.error_code, message: metadata.error.error_message });
    throw new ConflictError('reauth_incomplete', `Plaid still reports ${metadata.error.error_code} for the item; update mode was not completed`, {
      item_id: item.id,
      status: 'needs_reauth',
      action: 'fix',
    });
  }
  return metadata;
}
