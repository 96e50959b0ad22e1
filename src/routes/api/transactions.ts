import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { listTransactionPage } from '../../services/transaction-pages.js';
import { TransactionPage } from './accounts.js';
import { createApiRouter } from './api-router.js';
import { errorResponses, ProductSchema, UserHeaders } from './api-schemas.js';
import { OK } from './http-status.js';
import { booleanQuery, checkDateRange, dateQuery, pageQuery, repeatable } from './list-queries.js';

const TransactionsQuery = z
  .object({
    ...pageQuery,
    ...dateQuery,
    account_id: repeatable(z.uuid(), 'account_id', 'Only these accounts (repeat the parameter for several); another user’s account matches nothing'),
    product: repeatable(ProductSchema, 'product', 'Only accounts scoped to these products (repeatable)'),
    pending: booleanQuery('pending', '`true` for pending transactions only, `false` for posted ones only'),
  })
  .superRefine(checkDateRange);

const listRoute = createRoute({
  method: 'get',
  path: '/transactions',
  summary: 'The user’s transactions across all accounts, newest first, paged by cursor',
  tags: ['transactions'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, query: TransactionsQuery },
  responses: { [OK]: { description: 'One page', content: { 'application/json': { schema: TransactionPage } } }, ...errorResponses() },
});

export function transactionRoutes(deps: AppDeps) {
  return createApiRouter().openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const input = {
      userId: c.get('user').id,
      limit: q.limit,
      cursor: q.cursor,
      startDate: q.start_date,
      endDate: q.end_date,
      pending: q.pending,
      accountIds: q.account_id,
      products: q.product,
    };
    return c.json(await listTransactionPage(deps.db, input), OK);
  });
}
