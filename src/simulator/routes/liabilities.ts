import type { Hono } from 'hono';
import { Products } from '../plaid-enums.js';
import type { LiabilitiesGetRequest, LiabilitiesGetResponse } from 'plaid';
import { z } from 'zod';
import { isLiabilityAccount } from '../accounts.js';
import type { SimulatorContext } from '../context.js';
import { accountBases, itemObject, requireProductAccounts, selectAccounts } from '../item-views.js';
import { plaidErrors } from '../plaid-errors.js';
import { liabilitiesFor } from '../liabilities-data.js';
import { plaidRoute } from '../plaid-route.js';
import { accountIdsOptions, withAccessToken } from './schemas.js';

const liabilitiesGet = z.object({ ...withAccessToken, options: accountIdsOptions });

export function registerLiabilityRoutes(app: Hono, ctx: SimulatorContext): void {
  plaidRoute<LiabilitiesGetRequest, LiabilitiesGetResponse>(app, ctx, '/liabilities/get', liabilitiesGet, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    const liable = requireProductAccounts(item, Products.Liabilities, (a) => isLiabilityAccount(a.kind), plaidErrors.noLiabilityAccounts, ctx.calls);
    const accounts = selectAccounts(liable, req.options?.account_ids);
    return {
      accounts: accountBases(accounts),
      item: itemObject(item),
      liabilities: liabilitiesFor(accounts, item.key, item.today, item.liabilityRevisions),
    };
  });
}
