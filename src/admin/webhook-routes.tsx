import { Hono } from 'hono';
import { z } from 'zod';
import type { AdminDeps } from './admin-deps.js';
import { WEBHOOK_OUTCOMES } from '../db/schema/index.js';
import { NotFoundError } from '../http/errors.js';
import { validate } from '../http/validation.js';
import { Flash } from '../../views/layout.js';
import { WebhookLogPage } from '../../views/webhook-log-page.js';
import type { AdminEnv } from './admin-guards.js';
import type { AdminOperations } from './admin-operations.js';
import { UnavailableError } from './item-action-routes.js';
import { findWebhook, recentWebhooks, webhookOutcomeCounts } from './webhook-log-query.js';

const outcomeQuery = z.object({ outcome: z.enum(WEBHOOK_OUTCOMES).optional().catch(undefined) });
const eventParam = z.object({ id: z.uuid() });

async function rejectedSignatures(deps: AdminDeps): Promise<number> {
  const metric = await deps.metrics.webhookSignatureRejected.get();
  return metric.values.reduce((sum, value) => sum + value.value, 0);
}

export function webhookRoutes(deps: AdminDeps, operations: AdminOperations) {
  return new Hono<AdminEnv>()
    .get('/webhooks', async (c) => {
      const { outcome } = outcomeQuery.parse(c.req.query());
      const [rows, counts, rejected] = await Promise.all([recentWebhooks(deps.db, outcome), webhookOutcomeCounts(deps.db), rejectedSignatures(deps)]);
      return c.html(
        <WebhookLogPage
          rows={rows}
          outcome={outcome}
          counts={counts}
          rejectedSignatures={rejected}
          replayAvailable={operations.replayWebhook !== undefined}
          csrfToken={c.get('session').csrfToken}
          simulator={deps.config.plaid.env === 'simulator'}
        />,
      );
    })
    .post('/webhooks/:id/replay', validate('param', eventParam), async (c) => {
      if (!operations.replayWebhook) throw new UnavailableError('Webhook replay');
      const { id } = c.req.valid('param');
      if (!(await findWebhook(deps.db, id))) throw new NotFoundError('webhook event');
      await operations.replayWebhook(id);
      c.header('HX-Refresh', 'true');
      return c.html(<Flash tone="ok" message="Webhook replayed." />);
    });
}
