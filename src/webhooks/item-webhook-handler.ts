import type { Database, Sql } from '../db/client.js';
import type { Logger } from '../logger.js';
import { itemErrorEffect } from '../plaid/errors.js';
import { markItemDisconnected, markItemNeedsReauth } from '../services/item-status.js';
import type { StatusCheckResult } from '../status/status-check.js';
import { parseWebhook, type KnownWebhook } from './webhook-schemas.js';

export interface ItemWebhookDeps {
  db: Database;
  sql: Sql;
  logger: Logger;
  /**
   * Asks Plaid (`/item/get`) how the item is and applies the answer: the status check of one item,
   * which requests a sync of each product when the item is healthy.
   */
  checkStatus: (itemId: string) => Promise<StatusCheckResult>;
}

interface EventRow {
  id: string;
  item_id: string | null;
  body: string;
  status: string;
  /** The item's login was repaired within Plaid's 24-hour retry window before this delivery, or after it. */
  may_predate_repair: boolean;
  /** The user finished update mode after this delivery was received: the warnings it answers are settled. */
  answered_in_link: boolean;
}

/** Warnings that update mode answers (and `reauth-complete` clears). */
const ANSWERED_IN_LINK = new Set(['NEW_ACCOUNTS_AVAILABLE', 'PENDING_DISCONNECT', 'PENDING_EXPIRATION']);

/** How long Plaid keeps retrying a webhook delivery (plaid-reference.md, "Delivery, retries"). */
const PLAID_RETRY_WINDOW_HOURS = 24;

/**
 * Runs the item's status check (`/item/get`) instead of applying a webhook as it stands: Plaid retries
 * a delivery for up to 24 hours and keeps no order, so an `ITEM_LOGIN_REQUIRED` sent before the user
 * fixed the login in update mode can arrive (or be applied) after it, and a `LOGIN_REPAIRED` after a
 * later login error. Plaid's answer now decides.
 */
async function decideWithPlaid(deps: ItemWebhookDeps, event: EventRow, itemId: string, logMessage: string, fields: Record<string, unknown> = {}): Promise<void> {
  const checked = await deps.checkStatus(itemId);
  deps.logger.info({ eventId: event.id, itemId, ...fields, status: checked.status }, logMessage);
}

async function apply(deps: ItemWebhookDeps, event: EventRow, itemId: string, webhook: KnownWebhook): Promise<void> {
  const { db, sql } = deps;
  if (event.answered_in_link && ANSWERED_IN_LINK.has(webhook.webhook_code)) {
    deps.logger.info({ eventId: event.id, itemId, webhookCode: webhook.webhook_code }, 'item_webhook_answered_in_link');
    return;
  }
  switch (webhook.webhook_code) {
    case 'ERROR': {
      if (webhook.webhook_type !== 'ITEM' || !webhook.error) return;
      const error = { code: webhook.error.error_code, message: webhook.error.error_message };
      const kind = itemErrorEffect(error.code);
      if (kind === 'needs_reauth' && event.may_predate_repair) await decideWithPlaid(deps, event, itemId, 'item_login_error_rechecked', { plaidErrorCode: error.code });
      else if (kind === 'needs_reauth') await markItemNeedsReauth(db, itemId, error);
      else if (kind === 'revoked') await db.transaction((tx) => markItemDisconnected(tx, itemId, error));
      else await sql`update plaid_items set error_code = ${error.code}, error_message = ${error.message ?? null}, updated_at = now() where id = ${itemId}`;
      return;
    }
    case 'LOGIN_REPAIRED': {
      // Repaired elsewhere (another app on the same Item, the bank's site). A delivery retried after a
      // later login error, or an item that needs update mode for another reason (a permission, an
      // eligible account), must not be shown as working. Healthy, the check makes it active and
      // requests a sync of each product, which pick up what was missed.
      await decideWithPlaid(deps, event, itemId, 'item_login_repaired_checked');
      return;
    }
    case 'PENDING_EXPIRATION':
      await sql`update plaid_items set consent_expires_at = ${webhook.consent_expiration_time}, updated_at = now() where id = ${itemId}`;
      return;
    case 'PENDING_DISCONNECT':
      await sql`update plaid_items set pending_disconnect_at = ${webhook.disconnect_time}, updated_at = now() where id = ${itemId}`;
      return;
    case 'USER_PERMISSION_REVOKED': {
      const code = (webhook.error?.error_code) ?? 'USER_PERMISSION_REVOKED';
      await db.transaction((tx) => markItemDisconnected(tx, itemId, { code, message: webhook.error?.error_message }));
      return;
    }
    case 'USER_ACCOUNT_REVOKED':
      await sql`update plaid_accounts set status = 'inactive', updated_at = now()
        where item_id = ${itemId} and plaid_account_id = ${webhook.account_id} and status = 'active'`;
      return;
    case 'NEW_ACCOUNTS_AVAILABLE':
      // The app offers update mode with account selection while this is set.
      await sql`update plaid_items set new_accounts_available = true, updated_at = now() where id = ${itemId} and status <> 'disconnected'`;
      return;
    default:
      return;
  }
}

/**
 * Applies one recorded ITEM webhook. Every step is idempotent, so a job retried after a crash between
 * the status change and the sync requests simply does both again; the event is marked processed last.
 */
export async function handleItemWebhook(deps: ItemWebhookDeps, eventId: string): Promise<{ status: string }> {
  const [event] = await deps.sql<EventRow[]>`
    select e.id, e.item_id, e.body::text as body, e.status,
      coalesce(i.login_confirmed_at >= e.received_at - make_interval(hours => ${PLAID_RETRY_WINDOW_HOURS}), false) as may_predate_repair,
      coalesce(i.updated_in_link_at >= e.received_at, false) as answered_in_link
    from webhook_events e left join plaid_items i on i.id = e.item_id
    where e.id = ${eventId}`;
  if (!event) return { status: 'missing' };
  if (!event.item_id) return { status: event.status };
  const parsed = parseWebhook(event.body);
  if (!parsed.known) return { status: event.status };

  await apply(deps, event, event.item_id, parsed.webhook);
  await deps.sql`update webhook_events set status = 'processed', processed_at = now(), error = null where id = ${eventId}`;
  deps.logger.info({ eventId, itemId: event.item_id, webhookCode: parsed.webhook.webhook_code }, 'item_webhook_applied');
  return { status: 'processed' };
}
