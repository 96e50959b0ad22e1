import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { PendingDisconnectWebhookReason, Products } from '../plaid-enums.js';
import { z } from 'zod';
import type { SimulatorContext } from '../context.js';
import type { SimulatorControl } from '../control-types.js';
import { faultRuleSchema } from '../faults.js';
import { PlaidApiError, plaidErrors } from '../plaid-errors.js';
import { UPDATE_MODE_ERROR_CODES } from '../item-events.js';

const OK = 200;
const count = z.number().int().min(0).optional();

const createItem = z.object({
  institutionId: z.string().optional(),
  products: z.array(z.enum(Products)).min(1).optional(),
  requiredIfSupportedProducts: z.array(z.enum(Products)).optional(),
  optionalProducts: z.array(z.enum(Products)).optional(),
  additionalConsentedProducts: z.array(z.enum(Products)).optional(),
  dataTransparency: z.boolean().optional(),
  accountSet: z.enum(['full', 'products']).optional(),
  transactionCount: z.number().int().min(0).optional(),
  historyDays: z.number().int().min(1).max(730).optional(),
  webhook: z.string().nullish(),
  ready: z.boolean().optional(),
  userId: z.string().nullish(),
});

const completeLink = z.object({
  linkToken: z.string().optional(),
  link_token: z.string().optional(),
  institutionId: z.string().optional(),
  institution_id: z.string().optional(),
  transactionCount: z.number().int().min(0).optional(),
}).refine((b) => b.linkToken !== undefined || b.link_token !== undefined, { message: 'link_token is required' });

/** Item actions: POST /simulator/items/:itemId/<name> with a JSON body (optional). */
const itemActions: Record<string, (control: SimulatorControl, itemId: string, body: unknown) => unknown> = {
  advance: (c, id, body) => c.advance(id, z.object({ added: count, modified: count, removed: count, posted: count, names: z.array(z.string().max(1000)).max(1000).optional() }).parse(body)),
  ready: (c, id, body) => c.markReady(id, z.object({ phase: z.enum(['initial', 'historical']).optional() }).parse(body).phase),
  'login-required': (c, id) => c.loginRequired(id),
  'item-error': (c, id, body) => c.itemError(id, z.object({ code: z.enum(UPDATE_MODE_ERROR_CODES) }).parse(body).code),
  'repair-login': (c, id) => c.repairLogin(id),
  revoke: (c, id) => c.revokeItem(id),
  'revoke-permission': (c, id) => c.revokePermission(id),
  'pending-expiration': (c, id, body) => c.pendingExpiration(id, z.object({ consentExpirationTime: z.string().optional() }).parse(body).consentExpirationTime),
  'pending-disconnect': (c, id, body) => c.pendingDisconnect(id, z.object({
    reason: z.enum(PendingDisconnectWebhookReason).optional(),
    disconnectTime: z.string().optional(),
  }).parse(body)),
  'new-accounts': (c, id) => c.newAccountsAvailable(id),
  'revoke-account': (c, id, body) => c.revokeAccount(id, z.object({ accountId: z.string().optional() }).parse(body).accountId),
  balance: (c, id, body) => c.setBalance(id, z.object({
    accountId: z.string().optional(),
    current: z.number().finite(),
    available: z.number().finite().nullable().optional(),
  }).parse(body)),
  holdings: (c, id, body) => c.updateHoldings(id, z.object({ added: count, updated: count }).parse(body)),
  'investment-transactions': (c, id, body) => c.addInvestmentTransactions(id, z.object({ added: count }).parse(body).added),
  liabilities: (c, id, body) => c.updateLiabilities(id, z.object({ accountIds: z.array(z.string()).optional() }).parse(body).accountIds),
  'fail-next-pagination': (c, id, body) => {
    c.failNextPagination(id, z.object({ times: z.number().int().min(1).optional() }).parse(body).times);
    return c.item(id);
  },
};

export function registerControlRoutes(app: Hono, ctx: SimulatorContext, control: SimulatorControl): void {
  const route = (handler: (c: Context, body: unknown) => unknown) => async (c: Context) => {
    try {
      const body = c.req.method === 'GET' || c.req.method === 'DELETE' ? {} : await optionalJson(c);
      return c.json(await handler(c, body) ?? { ok: true }, OK);
    } catch (error) {
      const plaidError = toPlaidError(error);
      return c.json(plaidError.toBody(ctx.nextRequestId()), plaidError.status as ContentfulStatusCode);
    }
  };

  app.get('/simulator/items', route(() => control.items()));
  app.post('/simulator/items', route((_c, body) => control.createItem(createItem.parse(body))));
  app.get('/simulator/items/:itemId', route((c) => control.item(param(c, 'itemId'))));
  app.get('/simulator/items/:itemId/truth', route((c) => {
    const offset = Number(c.req.query('offset') ?? 0);
    const limit = Number(c.req.query('limit') ?? 1000);
    const truth = control.truth(param(c, 'itemId'));
    const transactions = [];
    let index = 0;
    for (const t of truth) {
      if (index++ < offset) continue;
      if (transactions.length >= limit) break;
      transactions.push(t);
    }
    return { count: truth.count, offset, transactions };
  }));
  app.get('/simulator/items/:itemId/accounts', route((c) => ({ accounts: control.accountsTruth(param(c, 'itemId')) })));
  app.get('/simulator/items/:itemId/holdings', route((c) => control.holdingsTruth(param(c, 'itemId'))));
  app.get('/simulator/items/:itemId/investment-transactions', route((c) => ({ investment_transactions: control.investmentTransactionsTruth(param(c, 'itemId')) })));
  app.get('/simulator/items/:itemId/liabilities', route((c) => ({ liabilities: control.liabilitiesTruth(param(c, 'itemId')) })));
  app.post('/simulator/items/:itemId/:action', route((c, body) => {
    const action = itemActions[param(c, 'action')];
    if (!action) throw plaidErrors.notFound();
    return action(control, param(c, 'itemId'), body);
  }));
  app.post('/simulator/link/complete', route((_c, body) => {
    const input = completeLink.parse(body);
    return control.completeLink({
      linkToken: input.linkToken ?? input.link_token ?? '',
      institutionId: input.institutionId ?? input.institution_id,
      transactionCount: input.transactionCount,
    });
  }));
  app.get('/simulator/webhook-keys', route(() => ({ keys: control.webhookKeys() })));
  app.post('/simulator/webhook-keys/rotate', route(() => control.rotateWebhookKey()));
  app.get('/simulator/webhooks', route(() => ({ deliveries: control.webhookDeliveries() })));
  app.get('/simulator/webhooks/idle', route(async () => {
    await control.idle();
    return { idle: true };
  }));
  app.get('/simulator/faults', route(() => ({ faults: control.faults(), injected: control.injectedFaults() })));
  app.post('/simulator/faults', route((_c, body) => {
    const parsed = z.union([z.object({ rules: z.array(faultRuleSchema) }), faultRuleSchema]).parse(body);
    for (const rule of 'rules' in parsed ? parsed.rules : [parsed]) control.addFault(rule);
    return { faults: control.faults() };
  }));
  app.put('/simulator/faults', route((_c, body) => {
    control.setFaults(z.object({ rules: z.array(faultRuleSchema) }).parse(body).rules);
    return { faults: control.faults() };
  }));
  app.delete('/simulator/faults', route(() => {
    control.clearFaults();
    return { faults: [] };
  }));
  app.post('/simulator/rate-limits', route((_c, body) => {
    control.setRateLimits(z.object({ enabled: z.boolean() }).parse(body).enabled);
    return { rateLimits: control.stats().rateLimits };
  }));
  app.get('/simulator/stats', route(() => control.stats()));
  app.delete('/simulator/stats', route(() => {
    control.resetStats();
    return control.stats();
  }));
}

function param(c: Context, name: string): string {
  return c.req.param(name) ?? '';
}

async function optionalJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw plaidErrors.invalidBody();
  }
}

function toPlaidError(error: unknown): PlaidApiError {
  if (error instanceof PlaidApiError) return error;
  if (error instanceof z.ZodError) {
    const first = error.issues[0];
    return plaidErrors.invalidField(first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'invalid request');
  }
  return plaidErrors.internalServerError();
}
