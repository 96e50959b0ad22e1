import { describe, expect, it } from 'vitest';
import { PRODUCTS } from '../../../src/db/schema/products.js';
import { REGISTRY } from '../../../src/plaid/products/registry.js';
import { ALL_QUEUES, SYNC_QUEUES } from '../../../src/queue/queue-names.js';
import { actionFor } from '../../../src/webhooks/webhook-actions.js';
import { parseWebhook } from '../../../src/webhooks/webhook-schemas.js';

// What the rest of the service derives from the entries must not be able to disagree with them.
describe('the product registry', () => {
  it('has one entry per product, under its own name', () => {
    expect(Object.keys(REGISTRY).sort()).toEqual([...PRODUCTS].sort());
    for (const product of PRODUCTS) expect(REGISTRY[product].product).toBe(product);
  });

  it("gives each product Plaid's name for it and a queue of its own", () => {
    // The names must be Plaid's: entitlement reads /item/get's product lists by them (src/plaid/item-products.ts).
    for (const product of PRODUCTS) {
      expect(REGISTRY[product].plaidProduct).toBe(product);
      expect(SYNC_QUEUES[product]).toBe(REGISTRY[product].queue);
    }
    expect(new Set(ALL_QUEUES).size).toBe(ALL_QUEUES.length);
  });

  it('dispatches each data webhook to the one product that names it', () => {
    const claimed = PRODUCTS.flatMap((product) => REGISTRY[product].webhooks.map((pair) => ({ pair, product })));
    expect(new Set(claimed.map((c) => c.pair)).size).toBe(claimed.length);
    for (const { pair, product } of claimed) {
      const [type, code] = pair.split('/');
      const parsed = parseWebhook(JSON.stringify({ webhook_type: type, webhook_code: code, item_id: 'item-1' }));
      expect(parsed.known, pair).toBe(true);
      expect(actionFor(parsed), pair).toEqual({ kind: 'sync', product });
    }
  });

  it('lets every product read some account type', () => {
    for (const product of PRODUCTS) expect(Object.keys(REGISTRY[product].accounts).length, product).toBeGreaterThan(0);
  });
});
