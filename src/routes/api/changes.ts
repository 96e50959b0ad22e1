import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { currentFeedPosition, readChanges } from '../../services/change-feed.js';
import { createApiRouter } from './api-router.js';
import { errorResponses, UserHeaders } from './api-schemas.js';
import { OK } from './http-status.js';

const ChangesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ param: { name: 'limit', in: 'query' }, example: 100 }),
  cursor: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .openapi({ param: { name: 'cursor', in: 'query' }, description: '`next_cursor` of the previous page, or `cursor` of `/changes/position`; omitted: from the oldest change kept' }),
});

const KINDS = [
  'transaction.added', 'transaction.modified', 'transaction.removed',
  'holding.added', 'holding.modified', 'holding.removed', 'security.updated',
  'investment_transaction.added', 'investment_transaction.modified', 'investment_transaction.removed',
  'liability.updated', 'liability.removed',
  'account.added', 'account.updated', 'account.status_changed',
  'item.status_changed', 'item.updated',
] as const;

const ChangeSchema = z
  .object({
    kind: z.enum(KINDS),
    ids: z.record(z.string(), z.string()).openapi({
      description: 'The ids involved: item_id, account_id, and the record’s own (transaction_id, security_id, investment_transaction_id) where it has them',
      example: { item_id: '6f1c…', account_id: '0b7e…', transaction_id: 'tx_123' },
    }),
    record: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: 'The record as stored now, shaped like the read endpoints; null when it is no longer stored (apply as a delete)' }),
  })
  .openapi('Change');

const ChangePage = z
  .object({
    changes: z.array(ChangeSchema),
    next_cursor: z.string().openapi({ description: 'Where to continue; unchanged when nothing new was visible' }),
    has_more: z.boolean().openapi({ description: 'true: ask again at once; false: caught up for now' }),
  })
  .openapi('ChangePage');

const Position = z
  .object({ cursor: z.string().openapi({ description: 'A cursor every change missing from a snapshot read after this call comes after' }) })
  .openapi('ChangePosition');

const changesRoute = createRoute({
  method: 'get',
  path: '/changes',
  summary: 'The user’s changes in order (removals included), each with the record as stored now',
  tags: ['changes'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, query: ChangesQuery },
  responses: { [OK]: { description: 'One page of changes', content: { 'application/json': { schema: ChangePage } } }, ...errorResponses(410) },
});

const positionRoute = createRoute({
  method: 'get',
  path: '/changes/position',
  summary: 'The feed position to follow from after reading a snapshot (call it before the snapshot reads)',
  tags: ['changes'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders },
  responses: { [OK]: { description: 'The position', content: { 'application/json': { schema: Position } } }, ...errorResponses() },
});

export function changeRoutes(deps: AppDeps) {
  return createApiRouter()
    .openapi(changesRoute, async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const page = await readChanges(deps.db, { userId: c.get('user').id, limit, cursor });
      return c.json(page as z.infer<typeof ChangePage>, OK);
    })
    .openapi(positionRoute, async (c) => c.json({ cursor: await currentFeedPosition(deps.db) }, OK));
}
