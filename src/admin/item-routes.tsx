import { Hono } from 'hono';
import type { AdminDeps } from './admin-deps.js';
import { ItemDetailPage, ItemLive } from '../../views/item-detail-page.js';
import { ItemRow } from '../../views/item-row.js';
import { ItemsPage, ItemsResults } from '../../views/items-page.js';
import type { AdminEnv } from './admin-guards.js';
import type { AdminOperations } from './admin-operations.js';
import { itemAccountProducts } from './item-detail-query.js';
import { loadItemDetail, loadItemSummary, syncableProducts } from './item-detail.js';
import { listItems } from './item-list-query.js';
import { listParamsSchema } from './list-params.js';
import { liveProgress, parseSince } from './live-progress.js';

export const rowPath = (itemId: string) => `/admin/items/${itemId}/row`;
export const livePath = (itemId: string) => `/admin/items/${itemId}/live`;

/** Read-only pages and the fragments their live progress polls. */
export function itemRoutes(deps: AdminDeps, operations: AdminOperations) {
  const simulator = deps.config.plaid.env === 'simulator';
  return new Hono<AdminEnv>()
    .get('/', (c) => c.redirect('/admin/items', 303))
    .get('/items', async (c) => {
      const params = listParamsSchema.parse(c.req.query());
      const page = await listItems(deps.sql, params);
      const liveFor = (id: string) => liveProgress(page.items.find((item) => item.id === id)!, { pollPath: rowPath(id), since: undefined });
      if (c.req.header('hx-target') === 'items-results') return c.html(<ItemsResults page={page} params={params} liveFor={liveFor} />);
      return c.html(
        <ItemsPage
          page={page}
          params={params}
          liveFor={liveFor}
          csrfToken={c.get('session').csrfToken}
          simulator={simulator}
          refreshAllAvailable={operations.refreshAll !== undefined}
        />,
      );
    })
    .get('/items/:id/row', async (c) => {
      const item = await loadItemSummary(deps, c.req.param('id'));
      const live = liveProgress(item, { pollPath: rowPath(item.id), since: parseSince(c.req.query('since')) });
      return c.html(<ItemRow item={item} live={live} />);
    })
    .get('/items/:id/live', async (c) => {
      const detail = await loadItemDetail(deps, c.req.param('id'));
      const live = liveProgress(detail.item, { pollPath: livePath(detail.item.id), since: parseSince(c.req.query('since')) });
      return c.html(<ItemLive detail={detail} live={live} />);
    })
    .get('/items/:id', async (c) => {
      const detail = await loadItemDetail(deps, c.req.param('id'));
      const products = syncableProducts(detail.item, await itemAccountProducts(deps.db, detail.item.id));
      const live = liveProgress(detail.item, { pollPath: livePath(detail.item.id), since: undefined });
      return c.html(
        <ItemDetailPage
          detail={detail}
          live={live}
          products={products}
          csrfToken={c.get('session').csrfToken}
          simulator={simulator}
          statusCheckAvailable={operations.checkItemStatus !== undefined}
        />,
      );
    });
}
