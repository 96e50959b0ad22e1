import { Hono } from 'hono';
import { z } from 'zod';
import type { AdminDeps } from './admin-deps.js';
import { ForbiddenError } from '../http/errors.js';
import { validate } from '../http/validation.js';
import { linkDemoItem } from '../simulator-demo/link-demo-item.js';
import { ItemsResults } from '../../views/items-page.js';
import type { AdminEnv } from './admin-guards.js';
import type { AdminOperations } from './admin-operations.js';
import { liveFragment } from './item-action-routes.js';
import { requestItemSyncs } from './item-actions.js';
import { loadItemSummary } from './item-detail.js';
import { itemPageOptions, itemsResults } from './item-routes.js';
import { listParamsSchema, listQueryString } from './list-params.js';
import { databaseNow } from './live-progress.js';
import { Flash } from '../../views/layout.js';
import { runSimulatorItemAction, SIMULATOR_ITEM_ACTIONS, type SimulatorItemAction } from './simulator-control-client.js';
import { repairLoginThroughUpdateMode } from './simulator-repair-login.js';

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
export function simulatorRoutes(deps: AdminDeps, operations: AdminOperations) {
  const options = itemPageOptions(deps, operations);
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
      // Newest first, so the new item is on screen; the address bar follows, and so does the list's idle poll.
      const params = listParamsSchema.parse({ sort: 'created', dir: 'desc' });
      const results = await itemsResults(deps, params);
      c.header('HX-Push-Url', `/admin/items${listQueryString(params)}`);
      return c.html(
        <>
          <ItemsResults page={results.page} liveFor={results.liveFor} pollUrl={results.pollUrl} params={params} />
          <Flash tone="ok" message={`Linked a demo item at ${item.institutionName ?? item.institutionId ?? 'the simulator'}.`} />
        </>,
      );
    })
    .post('/simulator/items/:id/repair-login', async (c) => {
      const item = await loadItemSummary(deps, c.req.param('id'));
      const since = await databaseNow(deps.sql);
      await repairLoginThroughUpdateMode(deps, simulatorUrl(), item);
      deps.logger.info({ itemId: item.id, action: 'repair-login' }, 'admin_simulator_action');
      return c.html(
        await liveFragment(deps, options, {
          itemId: item.id,
          since,
          message: 'The user logged in again through update mode and the app completed Fix Connection; the item is active and its syncs were requested.',
        }),
      );
    })
    .post('/simulator/items/:id/:action', validate('param', actionParam), async (c) => {
      const { id, action } = c.req.valid('param');
      const item = await loadItemSummary(deps, id);
      await runSimulatorItemAction(simulatorUrl(), { plaidItemId: item.plaidItemId, action });
      deps.logger.info({ itemId: item.id, action }, 'admin_simulator_action');
      // The follow-up sync makes the effect visible even when no webhook reaches the service.
      const requested = await requestItemSyncs(deps, { itemId: item.id, trigger: 'admin' });
      return c.html(await liveFragment(deps, options, { itemId: item.id, since: requested.since, message: DONE[action] }));
    });
}
