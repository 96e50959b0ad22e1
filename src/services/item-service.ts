import { classifyPlaidError, plaidErrorLogFields } from '../plaid/errors.js';
import { NotFoundError } from '../http/errors.js';
import { PlaidRequestError } from '../plaid/plaid-request-error.js';
import { accessTokenOf, loadOwnedItem, type ItemRow } from './item-access.js';
import { markItemDisconnected, type Executor } from './item-status.js';
import { loadItemAccounts, loadItems, loadUserItems } from './read-models/index.js';
import type { ServiceDeps } from './service-deps.js';

interface ItemRef {
  userId: string;
  itemId: string;
}

/** The user's items, newest first, each with the action the app should offer. */
export function listItems(db: Executor, input: { userId: string }) {
  return loadUserItems(db, input);
}

/** One of the user's items with all its accounts (inactive and replaced ones too). */
export async function getItem(db: Executor, input: ItemRef) {
  const [item] = await loadItems(db, { userId: input.userId, ids: [input.itemId] });
  if (!item) throw new NotFoundError('item');
  return { ...item, accounts: await loadItemAccounts(db, [item.id]) };
}

/**
 * Disconnect with soft delete: the item is removed at Plaid (which stops billing and revokes the
 * token), then marked `disconnected` and its accounts `inactive`. Their transactions, holdings and
 * liabilities stay readable as history. Disconnecting twice is harmless.
 */
export async function disconnectItem(deps: ServiceDeps, input: ItemRef) {
  const item = await loadOwnedItem(deps.db, input);
  if (item.status !== 'disconnected') {
    await removeAtPlaid(deps, item);
    await deps.db.transaction((tx) => markItemDisconnected(tx, item.id));
    deps.logger.info({ itemId: item.id, userId: item.userId }, 'item_disconnected');
  }
  return getItem(deps.db, input);
}

async function removeAtPlaid(deps: ServiceDeps, item: ItemRow): Promise<void> {
  try {
    await deps.plaid.itemRemove({ access_token: accessTokenOf(deps.vault, item) });
  } catch (error) {
    const classified = classifyPlaidError(error);
    // Already gone at Plaid (revoked, or removed before): the goal of the call is met.
    if (classified.kind === 'revoked') {
      deps.logger.info({ itemId: item.id, ...plaidErrorLogFields(classified) }, 'item_already_removed_at_plaid');
      return;
    }
    // Anything else keeps the item as it was: marking it disconnected while Plaid still bills for it would hide the cost.
    deps.logger.warn({ itemId: item.id, ...plaidErrorLogFields(classified) }, 'item_remove_failed');
    throw new PlaidRequestError(classified);
  }
}

