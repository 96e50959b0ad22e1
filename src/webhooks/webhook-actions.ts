import type { Product } from '../db/schema/products.js';
import type { KnownWebhook, ParsedWebhook } from './webhook-schemas.js';

/**
 * What a verified webhook asks of the service:
 * - `sync`: a product's data changed at Plaid; a sync job is enqueued with the record.
 * - `item`: the item's lifecycle changed (status, flags, an account); a job applies it, then syncs.
 * - `none`: recorded only (legacy transactions codes, acknowledgements, codes not acted on).
 */
export type WebhookAction = { kind: 'sync'; product: Product } | { kind: 'item' } | { kind: 'none' };

type Pair = `${KnownWebhook['webhook_type']}/${KnownWebhook['webhook_code']}`;

/** The dispatch table; a sync action names the product whose `REGISTRY` entry the run goes through. */
const ACTIONS: Partial<Record<Pair, WebhookAction>> = {
  'TRANSACTIONS/SYNC_UPDATES_AVAILABLE': { kind: 'sync', product: 'transactions' },
  'HOLDINGS/DEFAULT_UPDATE': { kind: 'sync', product: 'investments' },
  'INVESTMENTS_TRANSACTIONS/DEFAULT_UPDATE': { kind: 'sync', product: 'investments' },
  'INVESTMENTS_TRANSACTIONS/HISTORICAL_UPDATE': { kind: 'sync', product: 'investments' },
  'LIABILITIES/DEFAULT_UPDATE': { kind: 'sync', product: 'liabilities' },
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
