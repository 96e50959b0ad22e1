import type { Hono } from 'hono';
import { PendingDisconnectWebhookReason, PlaidErrorType, Products, SandboxItemFireWebhookRequestWebhookCodeEnum as Code, WebhookType } from '../plaid-enums.js';
import type {
  SandboxItemFireWebhookRequest, SandboxItemFireWebhookResponse, SandboxItemResetLoginRequest,
  SandboxItemResetLoginResponse, SandboxPublicTokenCreateRequest, SandboxPublicTokenCreateResponse,
} from 'plaid';
import { z } from 'zod';
import type { SimulatorContext } from '../context.js';
import type { ItemEvents } from '../item-events.js';
import type { SimItem } from '../item-store.js';
import { plaidErrors } from '../plaid-errors.js';
import { plaidRoute } from '../plaid-route.js';
import type { WebhookPayload } from '../webhook-dispatcher.js';
import { webhookPayloads as W } from '../webhook-payloads.js';
import { credentials, isoDate, webhookUrl, withAccessToken } from './schemas.js';

const publicTokenCreate = z.object({
  ...credentials,
  institution_id: z.string(),
  initial_products: z.array(z.enum(Products)).min(1),
  options: z.object({
    webhook: webhookUrl.optional(),
    override_username: z.string().nullish(),
    override_password: z.string().nullish(),
    transactions: z.object({
      start_date: isoDate.optional(),
      end_date: isoDate.optional(),
      days_requested: z.number().int().min(1).max(730).optional(),
    }).optional(),
  }).optional(),
  user_token: z.string().optional(),
  user_id: z.string().optional(),
});

const fireWebhook = z.object({
  ...withAccessToken,
  webhook_type: z.enum(WebhookType).optional(),
  webhook_code: z.enum(Code),
});

const resetLogin = z.object(withAccessToken);

const PRODUCT_FOR_TYPE: Partial<Record<WebhookType, Products>> = {
  [WebhookType.Transactions]: Products.Transactions,
  [WebhookType.Holdings]: Products.Investments,
  [WebhookType.InvestmentsTransactions]: Products.Investments,
  [WebhookType.Liabilities]: Products.Liabilities,
};

export function registerSandboxRoutes(app: Hono, ctx: SimulatorContext, events: ItemEvents): void {
  plaidRoute<SandboxPublicTokenCreateRequest, SandboxPublicTokenCreateResponse>(app, ctx, '/sandbox/public_token/create', publicTokenCreate, (req) => {
    const item = ctx.store.create({
      institutionId: req.institution_id,
      products: req.initial_products,
      webhook: req.options?.webhook ?? null,
      historyDays: req.options?.transactions?.days_requested ?? 90,
      userId: req.user_id ?? null,
    });
    events.linked(item);
    return { public_token: ctx.store.issuePublicToken(item.itemId) };
  });

  plaidRoute<SandboxItemFireWebhookRequest, SandboxItemFireWebhookResponse>(app, ctx, '/sandbox/item/fire_webhook', fireWebhook, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    if (item.webhook === null) throw plaidErrors.sandboxWebhookInvalid('the Item has no webhook URL; set one with /item/webhook/update');
    const payload = payloadFor(item, req.webhook_code, req.webhook_type, ctx.clock.iso(7 * 86_400_000));
    events.notify(item, payload);
    return { webhook_fired: true };
  });

  plaidRoute<SandboxItemResetLoginRequest, SandboxItemResetLoginResponse>(app, ctx, '/sandbox/item/reset_login', resetLogin, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    events.loginRequired(item);
    return { reset_login: true };
  });
}

function payloadFor(item: SimItem, code: Code, type: WebhookType | undefined, inAWeek: string): WebhookPayload {
  const firstAccount = item.accounts.find((a) => !a.revoked)?.account.account_id ?? '';
  switch (code) {
    case Code.DefaultUpdate: {
      const webhookType = type ?? WebhookType.Transactions;
      const product = PRODUCT_FOR_TYPE[webhookType];
      if (product === undefined) throw plaidErrors.sandboxWebhookInvalid(`DEFAULT_UPDATE for ${webhookType} is not simulated`);
      if (!item.products.includes(product)) throw plaidErrors.sandboxProductNotEnabled(product);
      if (webhookType === WebhookType.Transactions) return W.transactionsDefaultUpdate(item.itemId, 0);
      if (webhookType === WebhookType.Holdings) return W.holdingsDefaultUpdate(item.itemId, 0, 0);
      if (webhookType === WebhookType.InvestmentsTransactions) return W.investmentsDefaultUpdate(item.itemId, 0, 0);
      return W.liabilitiesDefaultUpdate(item.itemId, [], {});
    }
    case Code.SyncUpdatesAvailable:
      if (!item.products.includes(Products.Transactions)) throw plaidErrors.sandboxProductNotEnabled(Products.Transactions);
      return W.syncUpdatesAvailable(item.itemId, item.ready !== 'not_ready', item.ready === 'historical');
    case Code.RecurringTransactionsUpdate:
      return W.recurringTransactionsUpdate(item.itemId, item.accounts.map((a) => a.account.account_id));
    case Code.NewAccountsAvailable:
      item.newAccountsAvailable = true;
      return W.newAccountsAvailable(item.itemId);
    case Code.UserPermissionRevoked:
      return W.userPermissionRevoked(item.itemId, plaidErrors.userPermissionRevoked(PlaidErrorType.ItemError).toWebhookError());
    case Code.UserAccountRevoked:
      return W.userAccountRevoked(item.itemId, firstAccount);
    case Code.PendingDisconnect:
      return W.pendingDisconnect(item.itemId, PendingDisconnectWebhookReason.TokenExpiration, inAWeek);
    case Code.LoginRepaired:
      return W.loginRepaired(item.itemId);
    default:
      throw plaidErrors.sandboxWebhookInvalid(`webhook_code ${code} is not simulated`);
  }
}
