import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/logger.js';
import { handleItemWebhook } from '../../src/webhooks/item-webhook-handler.js';
import type { TestDatabase } from './database.js';
import { plaidBody } from './webhook-signing.js';

/** A delivery recorded as the intake records a verified one, waiting for the worker; returns its event id. */
export async function recordWebhookEvent(database: TestDatabase, item: { id: string | null; plaidItemId: string }, payload: Record<string, unknown>) {
  const body = plaidBody({ item_id: item.plaidItemId, environment: 'sandbox', ...payload });
  const [row] = await database.sql<{ id: string }[]>`
    insert into webhook_events (webhook_type, webhook_code, plaid_item_id, item_id, body, body_sha256, status)
    values (${String(payload.webhook_type)}, ${String(payload.webhook_code)}, ${item.plaidItemId}, ${item.id}, ${body}::jsonb, ${randomUUID()}, 'received')
    returning id`;
  return row!.id;
}

/**
 * An ITEM webhook recorded and applied by the worker's handler, as a verified delivery from Plaid
 * would be. For webhooks that need no status check (anything but LOGIN_REPAIRED and a login error on a
 * repaired item).
 */
export async function applyItemWebhook(database: TestDatabase, item: { id: string; plaidItemId: string }, payload: Record<string, unknown>) {
  const eventId = await recordWebhookEvent(database, item, { webhook_type: 'ITEM', ...payload });
  const checkStatus = () => Promise.reject(new Error('a status check was not expected for this webhook'));
  return handleItemWebhook({ db: database.db, sql: database.sql, logger: createLogger('silent'), checkStatus }, eventId);
}
