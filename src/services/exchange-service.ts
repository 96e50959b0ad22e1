import type { ItemPublicTokenExchangeResponse } from 'plaid';
import { isProduct, plaidItems, type Product } from '../db/schema/index.js';
import { ValidationError } from '../http/errors.js';
import { errorLogFields } from '../error-log-fields.js';
import { entitledProductsOf, inferLinkedProduct, itemMetadataColumns, syncedProductsOf } from '../plaid/item-products.js';
import { callPlaid } from '../plaid/plaid-request-error.js';
import { insertPlaidAccounts } from './account-records.js';
import { duplicateInstitutionError, findLiveItemAtInstitution, violatesLiveInstitutionIndex } from './duplicate-rule.js';
import type { ItemRow } from './item-access.js';
import type { ServiceDeps } from './service-deps.js';
import { adoptInactiveAccounts, type Adoption } from './smart-adoption.js';
import { requestSyncs } from './sync-requests.js';
import { adoptOrphanWebhooks, lockPlaidItemAgainstIntake } from '../webhooks/orphan-adoption.js';

export const MISSING_PRODUCT_MESSAGE = 'Missing Plaid product';

export interface ExchangeInput {
  userId: string;
  publicToken: string;
  product?: Product | undefined;
  institution?: { institutionId: string; name?: string | undefined } | undefined;
}

export interface ExchangeResult {
  item: ItemRow;
  adoptions: Adoption[];
}

/**
 * Onboarding: turns a Link public token into an `active` item with its accounts, each scoped to a
 * product. Once Plaid has created the item, every failure removes it again at Plaid, so a refused
 * link (duplicate, missing product, lost race) never leaves an orphan item that Plaid bills for.
 */
export async function exchangePublicToken(deps: ServiceDeps, input: ExchangeInput): Promise<ExchangeResult> {
  // Checked before the exchange when the app knows the institution: the cheap refusal creates nothing at Plaid.
  if (input.institution) await refuseDuplicate(deps, input.userId, input.institution.institutionId);

  const exchanged = await callPlaid(() => deps.plaid.itemPublicTokenExchange({ public_token: input.publicToken }));
  let result: ExchangeResult;
  try {
    result = await storeNewItem(deps, input, exchanged);
  } catch (error) {
    await removeAtPlaid(deps, exchanged);
    throw error;
  }
  const { item, adoptions } = result;
  deps.logger.info(
    { itemId: item.id, plaidItemId: item.plaidItemId, userId: item.userId, product: item.product, institutionId: item.institutionId, adopted: adoptions.length },
    'item_linked',
  );
  await adoptEarlyWebhooks(deps, item);
  // Only what the item is entitled to: any other product would be added and billed by Plaid.
  await requestSyncs(deps, { itemId: item.id, products: item.entitledProducts.filter(isProduct), trigger: 'initial' });
  return result;
}

/**
 * Plaid sends an item's first webhooks right after Link, often before the app has exchanged the
 * token: intake recorded them `orphan`. The item is committed, so a failure here is logged, not
 * thrown (the hourly status check syncs the item anyway).
 */
async function adoptEarlyWebhooks(deps: ServiceDeps, item: ItemRow): Promise<void> {
  if (!deps.sql || !deps.queue) return;
  try {
    const adopted = await adoptOrphanWebhooks({ sql: deps.sql, queue: deps.queue }, { plaidItemId: item.plaidItemId });
    if (adopted > 0) deps.logger.info({ itemId: item.id, adopted }, 'early_webhooks_adopted');
  } catch (error) {
    deps.logger.warn({ itemId: item.id, ...errorLogFields(error) }, 'early_webhooks_not_adopted');
  }
}

async function refuseDuplicate(deps: ServiceDeps, userId: string, institutionId: string): Promise<void> {
  const existing = await findLiveItemAtInstitution(deps.db, { userId, institutionId });
  if (existing) throw duplicateInstitutionError(existing);
}

async function storeNewItem(deps: ServiceDeps, input: ExchangeInput, exchanged: ItemPublicTokenExchangeResponse): Promise<ExchangeResult> {
  const accessToken = exchanged.access_token;
  const { item: metadata } = await callPlaid(() => deps.plaid.itemGet({ access_token: accessToken }));
  const product = input.product ?? inferLinkedProduct(metadata);
  if (!product) throw new ValidationError(MISSING_PRODUCT_MESSAGE, { plaid_products: syncedProductsOf(metadata) });

  // Plaid's metadata is the truth about the institution; the payload only allowed the early check.
  const institutionId = metadata.institution_id ?? input.institution?.institutionId ?? null;
  const institutionName = metadata.institution_name ?? input.institution?.name ?? null;
  if (institutionId !== null && institutionId !== input.institution?.institutionId) await refuseDuplicate(deps, input.userId, institutionId);

  const entitledProducts = entitledProductsOf(metadata, product);
  const { accounts } = await callPlaid(() => deps.plaid.accountsGet({ access_token: accessToken }));
  const sealed = deps.vault.encrypt(accessToken, exchanged.item_id);
  try {
    return await deps.db.transaction(async (tx) => {
      const [item] = await tx
        .insert(plaidItems)
        .values({
          userId: input.userId,
          plaidItemId: exchanged.item_id,
          institutionId,
          institutionName,
          accessTokenCiphertext: sealed.ciphertext,
          accessTokenKeyId: sealed.keyId,
          product,
          ...itemMetadataColumns(metadata),
          entitledProducts,
          status: 'active',
        })
        .returning();
      await insertPlaidAccounts(tx, { itemId: item!.id, userId: input.userId, linkedProduct: product, entitledProducts, accounts });
      const adoptions = institutionId === null ? [] : await adoptInactiveAccounts(tx, { userId: input.userId, itemId: item!.id, institutionId });
      // Last, so deliveries wait on it for as short a time as possible.
      await lockPlaidItemAgainstIntake(tx, exchanged.item_id);
      return { item: item!, adoptions };
    });
  } catch (error) {
    // Two links for one institution raced past the early check: the partial unique index let exactly one commit.
    if (institutionId !== null && violatesLiveInstitutionIndex(error)) {
      const winner = await findLiveItemAtInstitution(deps.db, { userId: input.userId, institutionId });
      if (winner) throw duplicateInstitutionError(winner);
    }
    throw error;
  }
}

async function removeAtPlaid(deps: ServiceDeps, exchanged: ItemPublicTokenExchangeResponse): Promise<void> {
  try {
    await deps.plaid.itemRemove({ access_token: exchanged.access_token });
    deps.logger.info({ plaidItemId: exchanged.item_id }, 'refused_item_removed');
  } catch (error) {
    deps.logger.warn({ plaidItemId: exchanged.item_id, ...errorLogFields(error) }, 'refused_item_remove_failed');
  }
}
