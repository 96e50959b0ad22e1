import { eq, sql } from 'drizzle-orm';
import { plaidItems, type Product } from '../db/schema/index.js';
import { ConflictError } from '../http/errors.js';
import { callPlaid } from '../plaid/plaid-request-error.js';
import { errorLogFields } from '../error-log-fields.js';
import type { SyncTrigger } from '../sync/sync-scheduler.js';
import { accessTokenOf, itemDisconnectedError, loadOwnedItem, type ItemRow } from './item-access.js';
import { getItem } from './item-service.js';
import type { ServiceDeps } from './service-deps.js';

/** Said wherever a product can be enabled (API description, admin button, docs). */
export const BILLING_NOTICE =
  'Plaid adds a product to an item on its first call and bills it from then on, as if it had been linked for it.';

/**
 * Enables a product the item was not linked for: the one explicit way the service starts calling
 * a product Plaid will add and bill. `/item/get` is read first because an item linked under Data
 * Transparency Messaging refuses a product the user did not consent to (ADDITIONAL_CONSENT_REQUIRED):
 * the refusal is told here, before anything is billed, rather than by a sync failing later. Then the
 * product joins the item's entitlement and a sync is requested; its first call adds the product.
 * Returns whether the product was newly enabled.
 */
export async function enableProduct(
  deps: Omit<ServiceDeps, 'config'>,
  input: { item: ItemRow; product: Product; trigger: Extract<SyncTrigger, 'api' | 'admin'> },
): Promise<boolean> {
  const { item, product } = input;
  if (item.status === 'disconnected') throw itemDisconnectedError(item.id);
  if (item.entitledProducts.includes(product)) return false;
  if (item.unsupportedProducts.includes(product)) {
    throw new ConflictError('product_unsupported', `Plaid said the institution does not support ${product} for this item.`);
  }

  const { item: metadata } = await callPlaid(() => deps.plaid.itemGet({ access_token: accessTokenOf(deps.vault, item) }));
  const consented: readonly string[] = metadata.consented_products ?? [];
  // An empty or missing list: the item predates consent tracking, and Plaid adds the product on use.
  if (consented.length > 0 && !consented.includes(product)) {
    throw new ConflictError(
      'additional_consent_required',
      `The user has not consented to ${product} for this item; Plaid refuses it (ADDITIONAL_CONSENT_REQUIRED) until the user consents in Link.`,
    );
  }

  await deps.db
    .update(plaidItems)
    .set({ entitledProducts: sql`array(select distinct unnest(${plaidItems.entitledProducts} || array[${product}]::text[]) order by 1)`, updatedAt: sql`now()` })
    .where(eq(plaidItems.id, item.id));
  deps.logger.info({ itemId: item.id, userId: item.userId, product, trigger: input.trigger }, 'item_product_enabled');
  try {
    await deps.syncs.request({ itemId: item.id, product, trigger: input.trigger });
  } catch (error) {
    // Enabled and committed: the hourly status check syncs it if this request was lost.
    deps.logger.warn({ itemId: item.id, product, ...errorLogFields(error) }, 'sync_request_failed');
  }
  return true;
}

/** The REST API's enable action on one of the user's items; answers with the item. */
export async function enableItemProduct(deps: ServiceDeps, input: { userId: string; itemId: string; product: Product }) {
  const item = await loadOwnedItem(deps.db, input);
  await enableProduct(deps, { item, product: input.product, trigger: 'api' });
  return getItem(deps.db, input);
}
