import { randomUUID } from 'node:crypto';
import { Products } from 'plaid';
import { callPlaid } from '../plaid/plaid-request-error.js';
import { exchangePublicToken } from '../services/exchange-service.js';
import type { ItemRow } from '../services/item-access.js';
import type { ServiceDeps } from '../services/service-deps.js';

/**
 * Institutions of the built-in simulator, each linked for a product it offers. The first three (the
 * items of a first start) cover transactions, investments and liabilities, one each.
 */
export const DEMO_INSTITUTIONS = [
  { institutionId: 'ins_109508', product: Products.Transactions },
  { institutionId: 'ins_sim_brokerage', product: Products.Investments },
  { institutionId: 'ins_sim_lender', product: Products.Liabilities },
  { institutionId: 'ins_109509', product: Products.Transactions },
  { institutionId: 'ins_109512', product: Products.Transactions },
] as const;

/**
 * Links a demo item the way a real user's would be: Link's public token (from the simulator's
 * sandbox endpoint) goes through the service's own exchange. A fresh user id each time keeps the
 * one-live-item-per-institution rule out of the way.
 */
export async function linkDemoItem(deps: ServiceDeps, input: { index: number }): Promise<ItemRow> {
  const demo = DEMO_INSTITUTIONS[input.index % DEMO_INSTITUTIONS.length]!;
  const { public_token: publicToken } = await callPlaid(() =>
    deps.plaid.sandboxPublicTokenCreate({
      institution_id: demo.institutionId,
      initial_products: [demo.product],
      ...(deps.config.webhookUrl !== undefined ? { options: { webhook: deps.config.webhookUrl } } : {}),
    }),
  );
  const { item } = await exchangePublicToken(deps, { userId: randomUUID(), publicToken });
  return item;
}
