import { errorLogFields } from '../error-log-fields.js';
import type { ServiceDeps } from '../services/service-deps.js';
import type { Sql } from '../db/client.js';
import { linkDemoItem } from './link-demo-item.js';

export const DEMO_ITEM_COUNT = 3;

/**
 * Simulator mode, first start: links a few demo items so the admin page shows live data at once, one
 * for each product (transactions, investments, liabilities).
 * Only an empty database is seeded, so restarts and real data are left alone. A failure is logged
 * and the service starts anyway: the demo is a convenience, not a dependency.
 */
export async function seedDemoItems(deps: ServiceDeps & { sql: Sql }, count = DEMO_ITEM_COUNT): Promise<number> {
  const [row] = await deps.sql<{ items: number }[]>`select count(*)::int as items from plaid_items`;
  if ((row?.items ?? 0) > 0) return 0;
  let linked = 0;
  try {
    for (let index = 0; index < count; index++) {
      await linkDemoItem(deps, { index });
      linked++;
    }
    deps.logger.info({ linked }, 'demo_items_linked');
  } catch (error) {
    deps.logger.warn({ linked, ...errorLogFields(error) }, 'demo_items_failed');
  }
  return linked;
}
