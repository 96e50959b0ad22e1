import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../../app.js';
import { listAccountTransactions, updateAccountSettings } from '../../services/account-service.js';
import { createApiRouter } from './api-router.js';
import { errorResponses, IdParams, SettingsSchema, storableString, UserHeaders } from './api-schemas.js';
import { OK } from './http-status.js';

const TransactionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ param: { name: 'limit', in: 'query' }, example: 50 }),
  cursor: z.string().min(1).max(512).optional().openapi({ param: { name: 'cursor', in: 'query' }, description: '`next_cursor` of the previous page' }),
});

const TransactionSchema = z
  .object({
    id: z.string().openapi({ description: 'Plaid’s transaction id' }),
    account_id: z.uuid(),
    date: z.string().openapi({ format: 'date' }),
    authorized_date: z.string().nullable().openapi({ format: 'date' }),
    name: z.string(),
    merchant_name: z.string().nullable(),
    amount: z.string().openapi({ description: 'Exact decimal as a string; positive is money out (Plaid’s convention)', example: '42.50' }),
    iso_currency_code: z.string().nullable(),
    unofficial_currency_code: z.string().nullable(),
    pending: z.boolean(),
    pending_transaction_id: z.string().nullable(),
    category_primary: z.string().nullable(),
    category_detailed: z.string().nullable(),
    payment_channel: z.string().nullable(),
  })
  .openapi('Transaction');

const TransactionPage = z
  .object({ transactions: z.array(TransactionSchema), next_cursor: z.string().nullable().openapi({ description: 'null on the last page' }) })
  .openapi('TransactionPage');

const text = (max: number) => storableString().trim().min(1).max(max).nullable();

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

const transactionsRoute = createRoute({
  method: 'get',
  path: '/accounts/{id}/transactions',
  summary: 'An account’s transactions, newest first, paged by cursor',
  tags: ['accounts'],
  security: [{ appToken: [] }],
  request: { headers: UserHeaders, params: IdParams, query: TransactionsQuery },
  responses: { [OK]: { description: 'One page', content: { 'application/json': { schema: TransactionPage } } }, ...errorResponses(404) },
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
    .openapi(transactionsRoute, async (c) => {
      const { limit, cursor } = c.req.valid('query');
      return c.json(await listAccountTransactions(deps.db, { userId: c.get('user').id, accountId: c.req.valid('param').id, limit, cursor }), OK);
    })
    .openapi(settingsRoute, async (c) =>
      c.json(await updateAccountSettings(deps.db, { userId: c.get('user').id, accountId: c.req.valid('param').id, settings: c.req.valid('json') }), OK),
    );
}
