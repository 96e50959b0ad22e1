import { and, eq } from 'drizzle-orm';
import { plaidItems, type ItemStatus } from '../db/schema/index.js';
import { ConflictError, NotFoundError } from '../http/errors.js';
import type { TokenVault } from '../vault/token-vault.js';
import type { Executor } from './item-status.js';

export type ItemRow = typeof plaidItems.$inferSelect;

/** What the app should offer the user for an item: Fix Connection, Re-link, or nothing. */
export type ItemAction = 'fix' | 'relink' | 'none';

export function actionFor(status: ItemStatus): ItemAction {
  if (status === 'needs_reauth') return 'fix';
  if (status === 'disconnected') return 'relink';
  return 'none';
}

/**
 * The user's item, or 404. Another user's item is indistinguishable from a missing one, so ids
 * cannot be probed across users.
 */
export async function loadOwnedItem(db: Executor, input: { userId: string; itemId: string }): Promise<ItemRow> {
  const [item] = await db
    .select()
    .from(plaidItems)
    .where(and(eq(plaidItems.id, input.itemId), eq(plaidItems.userId, input.userId)));
  if (!item) throw new NotFoundError('item');
  return item;
}

/** The item's access token; the Plaid item id is the encryption context it was sealed with. */
export function accessTokenOf(vault: TokenVault, item: Pick<ItemRow, 'plaidItemId' | 'accessTokenCiphertext' | 'accessTokenKeyId'>): string {
  return vault.decrypt({ keyId: item.accessTokenKeyId, ciphertext: item.accessTokenCiphertext }, item.plaidItemId);
}

/** 409 for actions that need a live item: a disconnected one is re-linked, never revived. */
export function itemDisconnectedError(itemId: string) {
  return new ConflictError('item_disconnected', 'the item is disconnected; link the institution again', { item_id: itemId, action: 'relink' });
}
