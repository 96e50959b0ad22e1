import { Hono } from 'hono';
import { z } from 'zod';
import type { AdminDeps } from './admin-deps.js';
import { ForbiddenError } from '../http/errors.js';
import { validate } from '../http/validation.js';
import { linkDemoItem } from '../simulator-demo/link-demo-item.js';
import { ItemLive } from '../../views/item-detail-page.js';
import { ItemsResults } from '../../views/items-page.js';
import { Flash } from '../../views/layout.js';
import type { AdminEnv } from './admin-guards.js';
import { requestItemSyncs } from './item-actions.js';
import { loadItemDetail, loadItemSummary } from './item-detail.js';
import { listItems } from './item-list-query.js';
import { livePath, rowPath } from './item-routes.js';
import { listParamsSchema } from './list-params.js';
import { liveProgress } from './live-progress.js';
import { runSimulatorItemAction, SIMULATOR_ITEM_ACTIONS, type SimulatorItemAction } from './simulator-control-client.js';

const actionParam = z.object({
  id: z.string(),
  action: z.enum(Object.keys(SIMULATOR_ITEM_ACTIONS) as [SimulatorItemAction, ...SimulatorItemAction[]]),
});

const DONE: Record<SimulatorItemAction, string> = {
  advance: 'The bank posted new transactions; a sync was requested.',
  'break-login': 'The bank now asks for a new login; a sync was requested and will notice.',
  revoke: 'The user revoked access at the bank; a sync was requested and will notice.',
};

/** Simulator mode only: a newcomer can drive every flow from the page. Refused in any other mode. */
export function simulatorRoutes(deps: AdminDeps) {
  const simulatorUrl = () => {
    const url = deps.config.plaid.baseUrl;
    if (deps.config.plaid.env !== 'simulator' || url === undefined) throw new ForbiddenError('simulator controls exist only in simulator mode');
    return url;
  };
  return new Hono<AdminEnv>()
    .use('/simulator/*', async (_c, next) => {
      simulatorUrl();
      await next();
    })
    .post('/simulator/link', async (c) => {
      const count = await deps.sql<{ count: number }[]>`select count(*)::int as count from plaid_items`;
      const item = await linkDemoItem(deps, { index: count[0]?.count ?? 0 });
      const params = listParamsSchema.parse({ sort: 'created', dir: 'desc' });
      const page = await listItems(deps.sql, params);
      const liveFor = (id: string) => liveProgress(page.items.find((row) => row.id === id)!, { pollPath: rowPath(id), since: undefined });
      return c.html(
        <>
          <ItemsResults page={page} params={params} liveFor={liveFor} />
          <Flash tone="ok" message={`Linked a demo item at ${item.institutionName ?? item.institutionId ?? 'the simulator'}.`} />
        </>,
      );
    })
    .post('/simulator/items/:id/:action', validate('param', actionParam), async (c) => {
      const { id, action } = c.req.valid('param');
      const item = await loadItemSummary(deps, id);
      await runSimulatorItemAction(simulatorUrl(), { plaidItemId: item.plaidItemId, action });
      deps.logger.info({ itemId: item.id, action }, 'admin_simulator_action');
      // The follow-up sync makes the effect visible even when no webhook reaches the service.
      const requested = await requestItemSyncs(deps, { itemId: item.id, trigger: 'admin' });
      const detail = await loadItemDetail(deps, item.id);
      const live = liveProgress(detail.item, { pollPath: livePath(item.id), since: requested.since });
      return c.html(
        <>
          <ItemLive detail={detail} live={live} />
          <Flash tone="ok" message={DONE[action]} />
        </>,
      );
    });
}
