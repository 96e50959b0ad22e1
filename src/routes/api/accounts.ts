import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { getAccount, listAccountTransactions, updateAccountSettings } from '../../services/account-service.js';
import { TransactionSchema } from '../../services/read-models/index.js';
import { createApiRouter } from './api-router.js';
import { AccountSchema, errorResponses, IdParams, SettingsSchema, UserHeaders } from './api-schemas.js';
import { OK } from './http-status.js';
import { booleanQuery, checkDateRange, dateQuery, pageQuery } from './list-queries.js';

const AccountTransactionsQuery = z
  .object({ ...pageQuery, ...dateQuery, pending: booleanQuery('pending', '`true` for pending transactions only, `false` for posted ones only') })
  .superRefine(checkDateRange);

export const TransactionPage = z
  .object({ transactions: z.array(TransactionSchema), next_cursor: z.string().nullable().openapi({ description: 'null on the last page' }) })
  .openapi('TransactionPage');

const text = (max: number) => z.string().trim().min(1).max(max).nullable();

const SettingsUpdate = z
  .object({
    nickname: text(100).optional().openapi({ example: 'Bills account' }),
    notes: text(2000).optional().openapi({ example: 'Rent goes out on the 1st' }),
    payment_status: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a lower-case token such as autopay or overdue')
      .nullable()
      .optional()
      .openapi({ example: 'autopay' }),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'send at least one of nickname, notes, payment_status' })
  .openapi('AccountSettingsUpdate');

const accountRoute = createRoute({
  method: 'get',
  path: '/accounts/{id}',
  summary: 'One account with its balances and the user’s settings',
  tags: ['accounts'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: IdParams },
  responses: { [OK]: { description: 'The account', content: { 'application/json': { schema: AccountSchema } } }, ...errorResponses(404) },
});

const transactionsRoute = createRoute({
  method: 'get',
  path: '/accounts/{id}/transactions',
  summary: 'An account’s transactions, newest first, paged by cursor',
  description: 'An investment account answers 409 `investment_account`: its activity is at `/accounts/{id}/investment-transactions`.',
  tags: ['accounts'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: IdParams, query: AccountTransactionsQuery },
  responses: { [OK]: { description: 'One page', content: { 'application/json': { schema: TransactionPage } } }, ...errorResponses(404, 409) },
});

const settingsRoute = createRoute({
  method: 'patch',
  path: '/accounts/{id}/settings',
  summary: 'Change the user’s own settings for an account (null clears a field)',
  tags: ['accounts'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: IdParams, body: { required: true, content: { 'application/json': { schema: SettingsUpdate } } } },
  responses: { [OK]: { description: 'The settings now stored', content: { 'application/json': { schema: SettingsSchema } } }, ...errorResponses(404, 409, 415) },
});

export function accountRoutes(deps: AppDeps) {
  return createApiRouter()
    .openapi(accountRoute, async (c) => c.json(await getAccount(deps.db, { userId: c.get('user').id, accountId: c.req.valid('param').id }), OK))
    .openapi(transactionsRoute, async (c) => {
      const { limit, cursor, start_date: startDate, end_date: endDate, pending } = c.req.valid('query');
      const input = { userId: c.get('user').id, accountId: c.req.valid('param').id, limit, cursor, startDate, endDate, pending };
      return c.json(await listAccountTransactions(deps.db, input), OK);
    })
    .openapi(settingsRoute, async (c) =>
      c.json(await updateAccountSettings(deps.db, { userId: c.get('user').id, accountId: c.req.valid('param').id, settings: c.req.valid('json') }), OK),
    );
}
