import type { Hono } from 'hono';
import type {
  AccountsGetRequest, AccountsGetResponse, ItemGetRequest, ItemGetResponse, ItemRemoveRequest, ItemRemoveResponse,
  ItemWebhookUpdateRequest, ItemWebhookUpdateResponse,
} from 'plaid';
import { ItemRemoveReasonCode } from '../plaid-enums.js';
import { z } from 'zod';
import type { SimulatorContext } from '../context.js';
import type { ItemEvents } from '../item-events.js';
import { accountBases, assertUsable, itemObject, itemStatus, itemWithConsentFields, liveAccounts, selectAccounts } from '../item-views.js';
import { plaidRoute } from '../plaid-route.js';
import { webhookPayloads } from '../webhook-payloads.js';
import { accountIdsOptions, webhookUrl, withAccessToken } from './schemas.js';

const itemGet = z.object(withAccessToken);
const itemRemove = z.object({
  ...withAccessToken,
  reason_code: z.enum(ItemRemoveReasonCode).optional(),
  reason_note: z.string().max(512).optional(),
});
const webhookUpdate = z.object({ ...withAccessToken, webhook: webhookUrl.nullish() });
const accountsGet = z.object({ ...withAccessToken, options: accountIdsOptions });

export function registerItemRoutes(app: Hono, ctx: SimulatorContext, events: ItemEvents): void {
  plaidRoute<ItemGetRequest, ItemGetResponse>(app, ctx, '/item/get', itemGet, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    return { item: itemWithConsentFields(item), status: itemStatus(item) };
  });

  plaidRoute<ItemRemoveRequest, ItemRemoveResponse>(app, ctx, '/item/remove', itemRemove, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    item.removed = true;
    return {};
  });

  plaidRoute<ItemWebhookUpdateRequest, ItemWebhookUpdateResponse>(app, ctx, '/item/webhook/update', webhookUpdate, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    item.webhook = req.webhook ?? null;
    if (item.webhook !== null) events.notify(item, webhookPayloads.webhookUpdateAcknowledged(item.itemId, item.webhook));
    return { item: itemObject(item) };
  });

  plaidRoute<AccountsGetRequest, AccountsGetResponse>(app, ctx, '/accounts/get', accountsGet, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    assertUsable(item);
    const accounts = selectAccounts(liveAccounts(item), req.options?.account_ids);
    return { accounts: accountBases(accounts), item: itemObject(item) };
  });
}
