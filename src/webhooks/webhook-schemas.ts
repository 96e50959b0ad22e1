import { z } from 'zod';
import { isStorableJson } from '../db/storable-text.js';

/**
 * The webhooks of plaid-reference section 2 as a discriminated union. The SDK's interfaces type
 * `webhook_type`/`webhook_code` as plain strings, so narrowing needs this union of literals.
 * Objects are loose: Plaid adds fields without notice, and an unknown field must not turn a real
 * webhook into a 400.
 */
const plaidError = z.looseObject({
  error_type: z.string().optional(),
  error_code: z.string(),
  error_message: z.string().optional(),
  display_message: z.string().nullable().optional(),
});

const base = {
  item_id: z.string().min(1),
  environment: z.string().optional(),
  user_id: z.string().nullable().optional(),
};

function webhook<T extends string, C extends string, S extends z.ZodRawShape>(type: T, code: C, shape: S) {
  return z.looseObject({ webhook_type: z.literal(type), webhook_code: z.literal(code), ...base, ...shape });
}

const isoTime = z.iso.datetime({ offset: true });

export const syncUpdatesAvailable = webhook('TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE', {
  initial_update_complete: z.boolean().optional(),
  historical_update_complete: z.boolean().optional(),
});
const transactionsLegacy = [
  webhook('TRANSACTIONS', 'INITIAL_UPDATE', { new_transactions: z.number().optional() }),
  webhook('TRANSACTIONS', 'HISTORICAL_UPDATE', { new_transactions: z.number().optional() }),
  webhook('TRANSACTIONS', 'DEFAULT_UPDATE', { new_transactions: z.number().optional() }),
  webhook('TRANSACTIONS', 'TRANSACTIONS_REMOVED', { removed_transactions: z.array(z.string()).optional() }),
  webhook('TRANSACTIONS', 'RECURRING_TRANSACTIONS_UPDATE', { account_ids: z.array(z.string()).optional() }),
] as const;
export const holdingsDefaultUpdate = webhook('HOLDINGS', 'DEFAULT_UPDATE', {});
export const investmentsDefaultUpdate = webhook('INVESTMENTS_TRANSACTIONS', 'DEFAULT_UPDATE', {});
export const investmentsHistoricalUpdate = webhook('INVESTMENTS_TRANSACTIONS', 'HISTORICAL_UPDATE', {});
export const liabilitiesDefaultUpdate = webhook('LIABILITIES', 'DEFAULT_UPDATE', {});
export const itemError = webhook('ITEM', 'ERROR', { error: plaidError.nullable() });
export const loginRepaired = webhook('ITEM', 'LOGIN_REPAIRED', {});
export const pendingExpiration = webhook('ITEM', 'PENDING_EXPIRATION', { consent_expiration_time: isoTime });
export const pendingDisconnect = webhook('ITEM', 'PENDING_DISCONNECT', {
  reason: z.string().optional(),
  disconnect_time: isoTime,
});
export const userPermissionRevoked = webhook('ITEM', 'USER_PERMISSION_REVOKED', { error: plaidError.nullable().optional() });
export const userAccountRevoked = webhook('ITEM', 'USER_ACCOUNT_REVOKED', { account_id: z.string().min(1) });
export const webhookUpdateAcknowledged = webhook('ITEM', 'WEBHOOK_UPDATE_ACKNOWLEDGED', {
  new_webhook_url: z.string().optional(),
});
export const newAccountsAvailable = webhook('ITEM', 'NEW_ACCOUNTS_AVAILABLE', {});

const knownWebhook = z.union([
  syncUpdatesAvailable,
  ...transactionsLegacy,
  holdingsDefaultUpdate,
  investmentsDefaultUpdate,
  investmentsHistoricalUpdate,
  liabilitiesDefaultUpdate,
  itemError,
  loginRepaired,
  pendingExpiration,
  pendingDisconnect,
  userPermissionRevoked,
  userAccountRevoked,
  webhookUpdateAcknowledged,
  newAccountsAvailable,
]);
export type KnownWebhook = z.infer<typeof knownWebhook>;

/** Anything shaped like a Plaid webhook; a type or code this service does not know still parses. */
const envelope = z.looseObject({
  webhook_type: z.string().min(1).max(100),
  webhook_code: z.string().min(1).max(100),
  item_id: z.string().min(1).max(200).optional(),
  environment: z.string().max(100).optional(),
});

export type ParsedWebhook =
  | { known: true; webhook: KnownWebhook }
  | { known: false; webhook: z.infer<typeof envelope> };

export class InvalidWebhookBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWebhookBodyError';
  }
}

const SCHEMA_BY_PAIR = new Map<string, z.ZodType<KnownWebhook>>(
  knownWebhook.options.map((option) => [`${option.shape.webhook_type.value}/${option.shape.webhook_code.value}`, option]),
);

/** Plaid's webhooks nest three levels at most; PostgreSQL's jsonb parser gives up somewhere past a few thousand. */
const MAX_WEBHOOK_DEPTH = 32;

/**
 * A body that is not JSON, or lacks the webhook envelope, is not a webhook (400). A known type and
 * code whose fields are wrong is also a 400: acting on it could write nonsense. An unknown pair is
 * a webhook the service does not act on.
 */
export function parseWebhook(text: string): ParsedWebhook {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidWebhookBodyError('body is not JSON');
  }
  // Recorded as jsonb: a body PostgreSQL would refuse is answered 400 here, signed or not, instead
  // of failing its insert (and the batch of deliveries written with it) with a 500.
  if (!isStorableJson(json, MAX_WEBHOOK_DEPTH)) throw new InvalidWebhookBodyError('body holds text or nesting that cannot be stored');
  const outer = envelope.safeParse(json);
  if (!outer.success) throw new InvalidWebhookBodyError('body is not a Plaid webhook');
  const schema = SCHEMA_BY_PAIR.get(`${outer.data.webhook_type}/${outer.data.webhook_code}`);
  if (!schema) return { known: false, webhook: outer.data };
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidWebhookBodyError(`invalid ${outer.data.webhook_type} ${outer.data.webhook_code} webhook${issue ? `: ${issue.path.join('.')}` : ''}`);
  }
  return { known: true, webhook: parsed.data };
}
