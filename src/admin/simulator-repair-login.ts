import type { AdminDeps } from './admin-deps.js';
import { ConflictError } from '../http/errors.js';
import { createLinkToken } from '../services/link-service.js';
import { completeReauth } from '../services/reauth-service.js';
import type { ItemSummary } from './item-list-query.js';
import { completeSimulatedLink } from './simulator-control-client.js';

/**
 * Fix Connection as a user and the app would do it: the app asks the service for an update-mode
 * link token, the user logs in again in Link (here, Link is completed at the simulator), and the app
 * tells the service (`completeReauth`: `/item/get` confirms the repair, the item turns `active`, its
 * syncs are requested). Real Plaid sends LOGIN_REPAIRED only for an item repaired outside this app,
 * so the service must not wait for a webhook here.
 */
export async function repairLoginThroughUpdateMode(deps: AdminDeps, simulatorUrl: string, item: ItemSummary): Promise<void> {
  if (item.status !== 'needs_reauth') throw new ConflictError('login_not_broken', 'The item’s login is not broken; there is nothing to repair.');
  const { link_token: linkToken } = await createLinkToken(deps, { userId: item.userId, mode: 'update', itemId: item.id });
  await completeSimulatedLink(simulatorUrl, linkToken);
  await completeReauth(deps, { userId: item.userId, itemId: item.id });
}
