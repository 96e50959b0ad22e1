import { Hono } from 'hono';
import { z } from 'zod';
import type { AdminDeps } from './admin-deps.js';
import { PRODUCTS } from '../db/schema/index.js';
import { AppError } from '../http/errors.js';
import { validate } from '../http/validation.js';
import { ItemLive, type ItemPageOptions } from '../../views/item-detail-page.js';
import { ItemRow } from '../../views/item-row.js';
import { ITEMS_CHANGED_EVENT } from '../../views/items-page.js';
import { Flash } from '../../views/layout.js';
import type { AdminEnv } from './admin-guards.js';
import type { AdminOperations } from './admin-operations.js';
import { requestItemSyncs } from './item-actions.js';
import { itemLiveState, loadItemDetail, loadItemSummary, rowPath } from './item-detail.js';
import { itemPageOptions } from './item-routes.js';
import { databaseNow, liveProgress } from './live-progress.js';
import { BILLING_NOTICE, enableProduct } from '../services/product-enablement.js';
import { NotFoundError } from '../http/errors.js';
import { plaidItems } from '../db/schema/index.js';
import { eq } from 'drizzle-orm';

async function loadItemRow(deps: Pick<AdminDeps, 'db'>, itemId: string) {
  if (!z.uuid().safeParse(itemId).success) throw new NotFoundError('item');
  const [item] = await deps.db.select().from(plaidItems).where(eq(plaidItems.id, itemId));
  if (!item) throw new NotFoundError('item');
  return item;
}

const productParam = z.object({ id: z.string(), product: z.enum(PRODUCTS) });

export class UnavailableError extends AppError {
  constructor(what: string) {
    super(501, 'not_available', `${what} is not available in this build.`);
  }
}

/** An item's live part after an action, polling until work that started after `since` has finished, with the action's message. */
export async function liveFragment(deps: Pick<AdminDeps, 'sql' | 'db'>, options: ItemPageOptions, input: { itemId: string; since: Date | undefined; message: string }) {
  const detail = await loadItemDetail(deps, input.itemId);
  return (
    <>
      <ItemLive detail={detail} {...itemLiveState(detail, input.since)} options={options} />
      <Flash tone="ok" message={input.message} />
    </>
  );
}

/** State-changing item actions. Each answers with the fragment it changed, polling until the work ends. */
export function itemActionRoutes(deps: AdminDeps, operations: AdminOperations) {
  const options = itemPageOptions(deps, operations);
  return new Hono<AdminEnv>()
    .post('/items/refresh-all', async (c) => {
      if (!operations.refreshAll) throw new UnavailableError('Refresh all');
      const count = await operations.refreshAll();
      // The checks run over the next minutes; the list's idle poll shows each as it lands.
      c.header('HX-Trigger', ITEMS_CHANGED_EVENT);
      return c.html(<Flash tone="ok" message={`Status check and sync queued for ${count} ${count === 1 ? 'item' : 'items'}; they are spread out to respect Plaid's rate limits.`} />);
    })
    .post('/items/:id/resync', async (c) => {
      const requested = await requestItemSyncs(deps, { itemId: c.req.param('id'), trigger: 'admin' });
      const item = await loadItemSummary(deps, requested.item.id);
      const live = liveProgress(item, { pollPath: rowPath(item.id), since: requested.since });
      return c.html(
        <>
          <ItemRow item={item} live={live} />
          <Flash tone="ok" message={`Re-sync requested for ${item.institutionName ?? 'the item'}: ${requested.products.join(', ') || 'no products'}.`} />
        </>,
      );
    })
    .post('/items/:id/sync/:product', validate('param', productParam), async (c) => {
      const { id, product } = c.req.valid('param');
      const requested = await requestItemSyncs(deps, { itemId: id, products: [product], trigger: 'admin' });
      return c.html(await liveFragment(deps, options, { itemId: requested.item.id, since: requested.since, message: `Re-sync of ${product} requested.` }));
    })
    .post('/items/:id/backfill/:product', validate('param', productParam), async (c) => {
      const { id, product } = c.req.valid('param');
      const requested = await requestItemSyncs(deps, { itemId: id, products: [product], trigger: 'backfill', fromScratch: true });
      return c.html(
        await liveFragment(deps, options, { itemId: requested.item.id, since: requested.since, message: `History backfill of ${product} requested (from an empty cursor).` }),
      );
    })
    .post('/items/:id/products/:product/enable', validate('param', productParam), async (c) => {
      const { id, product } = c.req.valid('param');
      const item = await loadItemRow(deps, id);
      const since = await databaseNow(deps.sql);
      const enabled = await enableProduct(deps, { item, product, trigger: 'admin' });
      const message = enabled ? `${product} enabled; its sync is requested. ${BILLING_NOTICE}` : `${product} was already enabled.`;
      return c.html(await liveFragment(deps, options, { itemId: item.id, since: enabled ? since : undefined, message }));
    })
    .post('/items/:id/check-status', async (c) => {
      if (!operations.checkItemStatus) throw new UnavailableError('The status check');
      const item = await loadItemSummary(deps, c.req.param('id'));
      const summary = await operations.checkItemStatus(item.id);
      return c.html(await liveFragment(deps, options, { itemId: item.id, since: undefined, message: summary }));
    });
}
