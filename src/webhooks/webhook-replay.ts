import type { Sql } from '../db/client.js';
import { NotFoundError } from '../http/errors.js';
import { actionFor, type WebhookAction } from './webhook-actions.js';
import type { WebhookEnqueuer } from './webhook-enqueuer.js';
import { parseWebhook } from './webhook-schemas.js';

export interface ReplayResult {
  eventId: string;
  action: WebhookAction['kind'];
  /** False when there was nothing to do: the webhook is recorded only, or its item is unknown or disconnected. */
  queued: boolean;
}

interface EventRow {
  id: string;
  body: string;
  item_id: string | null;
  item_status: string | null;
}

/**
 * Dispatches a recorded webhook again (the admin page's "replay"), as if it had just arrived, minus
 * the duplicate check. The item is looked up afresh, so an orphan whose item has since been linked
 * (a webhook that raced the exchange) is processed now.
 */
export async function replayWebhookEvent(deps: { sql: Sql; queue: WebhookEnqueuer }, input: { eventId: string }): Promise<ReplayResult> {
  const result = await deps.sql.begin(async (tx) => {
    const [event] = await tx<EventRow[]>`
      select e.id, e.body::text as body, i.id as item_id, i.status as item_status
      from webhook_events e left join plaid_items i on i.plaid_item_id = e.plaid_item_id
      where e.id = ${input.eventId}
      for update of e`;
    if (!event) throw new NotFoundError('webhook event');
    const action = actionFor(parseWebhook(event.body));
    if (action.kind === 'none' || !event.item_id || event.item_status === 'disconnected') {
      return { eventId: event.id, action: action.kind, queued: false };
    }
    if (action.kind === 'sync') {
      await deps.queue.enqueueSyncs(tx, [{ itemId: event.item_id, product: action.product, trigger: 'webhook' }]);
    } else {
      await deps.queue.enqueueItemEvents(tx, [event.id]);
    }
    const status = action.kind === 'sync' ? 'processed' : 'received';
    await tx`update webhook_events set item_id = ${event.item_id}, error = null, status = ${status},
      processed_at = case when ${status} = 'processed' then now() end
      where id = ${event.id}`;
    return { eventId: event.id, action: action.kind, queued: true };
  });
  if (result.queued) deps.queue.notify();
  return result;
}
