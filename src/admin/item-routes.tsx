import { Hono } from 'hono';
import type { AdminDeps } from './admin-deps.js';
import { ItemDetailPage, ItemLive, type ItemPageOptions } from '../../views/item-detail-page.js';
import { ItemRow } from '../../views/item-row.js';
import { ItemsPage, ItemsResults } from '../../views/items-page.js';
import type { AdminEnv } from './admin-guards.js';
import type { AdminOperations } from './admin-operations.js';
import { itemLiveState, loadItemDetail, loadItemSummary, rowPath } from './item-detail.js';
import { listItems } from './item-list-query.js';
import { listParamsSchema, listQueryString, type ListParams } from './list-params.js';
import { liveProgress, parseSince, versionedUrl, versionOf } from './live-progress.js';

const NO_CONTENT = 204;

export function itemPageOptions(deps: AdminDeps, operations: AdminOperations): ItemPageOptions {
  return { simulator: deps.config.plaid.env === 'simulator', statusCheckAvailable: operations.checkItemStatus !== undefined };
}

/** The items list's results for a view, with the idle poll that keeps them current. */
export async function itemsResults(deps: Pick<AdminDeps, 'sql'>, params: ListParams) {
  const page = await listItems(deps.sql, params);
  const liveFor = (id: string) => liveProgress(page.items.find((item) => item.id === id)!, { pollPath: rowPath(id), since: undefined });
  const version = versionOf(page);
  const pollUrl = versionedUrl(`/admin/items${listQueryString(params)}`, version);
  return { page, liveFor, version, pollUrl };
}

/** Read-only pages and the fragments their live updates poll. */
export function itemRoutes(deps: AdminDeps, operations: AdminOperations) {
  const options = itemPageOptions(deps, operations);
  return new Hono<AdminEnv>()
    .get('/', (c) => c.redirect('/admin/items', 303))
    .get('/items', async (c) => {
      const params = listParamsSchema.parse(c.req.query());
      const results = await itemsResults(deps, params);
      if (c.req.header('hx-target') === 'items-results') {
        // The idle poll: nothing changed since the version it shows, so nothing to swap.
        if (c.req.query('v') === results.version) return c.body(null, NO_CONTENT);
        return c.html(<ItemsResults page={results.page} liveFor={results.liveFor} pollUrl={results.pollUrl} params={params} />);
      }
      return c.html(
        <ItemsPage
          page={results.page}
          liveFor={results.liveFor}
          pollUrl={results.pollUrl}
          params={params}
          csrfToken={c.get('session').csrfToken}
          simulator={options.simulator}
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
      const state = itemLiveState(detail, parseSince(c.req.query('since')));
      if (state.live.pollUrl === undefined && c.req.query('v') === state.version) return c.body(null, NO_CONTENT);
      return c.html(<ItemLive detail={detail} {...state} options={options} />);
    })
    .get('/items/:id', async (c) => {
      const detail = await loadItemDetail(deps, c.req.param('id'));
      return c.html(<ItemDetailPage detail={detail} {...itemLiveState(detail, undefined)} options={options} csrfToken={c.get('session').csrfToken} />);
    });
}
