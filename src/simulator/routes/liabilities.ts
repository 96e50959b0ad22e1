import type { Hono } from 'hono';
import { Products } from '../plaid-enums.js';
import type { LiabilitiesGetRequest, LiabilitiesGetResponse } from 'plaid';
import { z } from 'zod';
import { isLiabilityAccount } from '../accounts.js';
import type { SimulatorContext } from '../context.js';
import { accountBases, itemObject, liveAccounts, requireProduct, selectAccounts } from '../item-views.js';
import { liabilitiesFor } from '../liabilities-data.js';
import { plaidRoute } from '../plaid-route.js';
import { accountIdsOptions, withAccessToken } from './schemas.js';

const liabilitiesGet = z.object({ ...withAccessToken, options: accountIdsOptions });

export function registerLiabilityRoutes(app: Hono, ctx: SimulatorContext): void {
  plaidRoute<LiabilitiesGetRequest, LiabilitiesGetResponse>(app, ctx, '/liabilities/get', liabilitiesGet, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    requireProduct(item, Products.Liabilities, ctx.calls);
    const accounts = selectAccounts(liveAccounts(item, (a) => isLiabilityAccount(a.kind)), req.options?.account_ids);
    return {
      accounts: accountBases(accounts),
      item: itemObject(item),
      liabilities: liabilitiesFor(accounts, item.key, item.today, item.liabilityRevisions),
    };
  });
}
