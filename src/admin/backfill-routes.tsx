import { Hono } from 'hono';
import type { AdminDeps } from './admin-deps.js';
import { BackfillPage, BackfillPanel } from '../../views/backfill-page.js';
import type { AdminEnv } from './admin-guards.js';
import type { AdminOperations } from './admin-operations.js';
import { UnavailableError } from './item-action-routes.js';

export function backfillRoutes(deps: AdminDeps, operations: AdminOperations) {
  return new Hono<AdminEnv>()
    .get('/backfill', async (c) => {
      const plan = operations.planProductBackfill ? await operations.planProductBackfill() : undefined;
      return c.html(
        <BackfillPage
          plan={plan}
          applyAvailable={operations.applyProductBackfill !== undefined}
          csrfToken={c.get('session').csrfToken}
          simulator={deps.config.plaid.env === 'simulator'}
        />,
      );
    })
    .post('/backfill/apply', async (c) => {
      const { planProductBackfill, applyProductBackfill } = operations;
      if (!planProductBackfill || !applyProductBackfill) throw new UnavailableError('The product backfill');
      const applied = await applyProductBackfill();
      deps.logger.info({ updated: applied.total }, 'admin_product_backfill_applied');
      return c.html(<BackfillPanel plan={await planProductBackfill()} applied={applied} applyAvailable />);
    });
}
