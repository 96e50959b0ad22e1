import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { getSecurity, listAccountHoldings, listInvestmentTransactions } from '../../services/investment-service.js';
import { HoldingSchema, InvestmentTransactionSchema, SecuritySchema } from '../../services/read-models/index.js';
import { createApiRouter } from './api-router.js';
import { errorResponses, IdParams, UserHeaders } from './api-schemas.js';
import { OK } from './http-status.js';
import { checkDateRange, dateQuery, pageQuery } from './list-queries.js';

const SecurityParams = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a Plaid security id')
    .openapi({ param: { name: 'id', in: 'path' }, description: 'Plaid’s security id', example: 'KDwjlXj1Rqt58dVvmzRguxJybmyQL8FgeWWAL' }),
});

const holdingsRoute = createRoute({
  method: 'get',
  path: '/accounts/{id}/holdings',
  summary: 'An investment account’s holdings, each with its security, largest value first',
  tags: ['investments'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: IdParams },
  responses: {
    [OK]: { description: 'Every holding (an account without holdings has none)', content: { 'application/json': { schema: z.object({ holdings: z.array(HoldingSchema) }).openapi('HoldingList') } } },
    ...errorResponses(404),
  },
});

const investmentTransactionsRoute = createRoute({
  method: 'get',
  path: '/accounts/{id}/investment-transactions',
  summary: 'An account’s investment transactions (buys, sells, dividends, fees...), newest first, paged by cursor',
  tags: ['investments'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: IdParams, query: z.object({ ...pageQuery, ...dateQuery }).superRefine(checkDateRange) },
  responses: {
    [OK]: {
      description: 'One page',
      content: {
        'application/json': {
          schema: z
            .object({ investment_transactions: z.array(InvestmentTransactionSchema), next_cursor: z.string().nullable().openapi({ description: 'null on the last page' }) })
            .openapi('InvestmentTransactionPage'),
        },
      },
    },
    ...errorResponses(404),
  },
});

const securityRoute = createRoute({
  method: 'get',
  path: '/securities/{id}',
  summary: 'A security one of the user’s accounts holds or traded',
  tags: ['investments'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: SecurityParams },
  responses: { [OK]: { description: 'The security', content: { 'application/json': { schema: SecuritySchema } } }, ...errorResponses(404) },
});

export function investmentRoutes(deps: AppDeps) {
  return createApiRouter()
    .openapi(holdingsRoute, async (c) => c.json(await listAccountHoldings(deps.db, { userId: c.get('user').id, accountId: c.req.valid('param').id }), OK))
    .openapi(investmentTransactionsRoute, async (c) => {
      const { limit, cursor, start_date: startDate, end_date: endDate } = c.req.valid('query');
      const input = { userId: c.get('user').id, accountId: c.req.valid('param').id, limit, cursor, startDate, endDate };
      return c.json(await listInvestmentTransactions(deps.db, input), OK);
    })
    .openapi(securityRoute, async (c) => c.json(await getSecurity(deps.db, { userId: c.get('user').id, securityId: c.req.valid('param').id }), OK));
}
