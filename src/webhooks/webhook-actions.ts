import { PRODUCTS, type Product } from '../db/schema/products.js';
import { REGISTRY } from '../plaid/products/registry.js';
import type { WebhookPair } from '../plaid/products/registry-entry.js';
import type { ParsedWebhook } from './webhook-schemas.js';

/**
 * What a verified webhook asks of the service:
 * - `sync`: a product's data changed at Plaid; a sync job is enqueued with the record.
 * - `item`: the item's lifecycle changed (status, flags, an account); a job applies it, then syncs.
 * - `none`: recorded only (legacy transactions codes, acknowledgements, codes not acted on).
 */
export type WebhookAction = { kind: 'sync'; product: Product } | { kind: 'item' } | { kind: 'none' };

/** The dispatch table: each product's data webhooks (from its `REGISTRY` entry) sync it; item webhooks are the same for every product. */
const ACTIONS: Partial<Record<WebhookPair, WebhookAction>> = {
  ...Object.fromEntries(PRODUCTS.flatMap((product) => REGISTRY[product].webhooks.map((pair) => [pair, { kind: 'sync', product } satisfies WebhookAction]))),
  'ITEM/ERROR': { kind: 'item' },
  'ITEM/LOGIN_REPAIRED': { kind: 'item' },
  'ITEM/PENDING_EXPIRATION': { kind: 'item' },
  'ITEM/PENDING_DISCONNECT': { kind: 'item' },
  'ITEM/USER_PERMISSION_REVOKED': { kind: 'item' },
  'ITEM/USER_ACCOUNT_REVOKED': { kind: 'item' },
  'ITEM/NEW_ACCOUNTS_AVAILABLE': { kind: 'item' },
};

const NONE: WebhookAction = { kind: 'none' };

export function actionFor(parsed: ParsedWebhook): WebhookAction {
  if (!parsed.known) return NONE;
  return ACTIONS[`${parsed.webhook.webhook_type}/${parsed.webhook.webhook_code}`] ?? NONE;
}
