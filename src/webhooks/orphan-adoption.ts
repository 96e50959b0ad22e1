import { sql as drizzleSql } from 'drizzle-orm';
import type { Sql } from '../db/client.js';
import type { Executor } from '../services/item-status.js';
import type { SyncRequest } from '../sync/sync-scheduler.js';
import { actionFor } from './webhook-actions.js';
import type { WebhookEnqueuer } from './webhook-enqueuer.js';
import { parseWebhook } from './webhook-schemas.js';

/**
 * How long a webhook for an item the service does not know yet (`orphan`) waits for the exchange
 * that stores that item. Plaid sends an item's first webhooks right after Link, and the public token
 * the app exchanges lives 30 minutes, so a genuine early webhook is at most about that old when its
 * item appears; an hour leaves room for a slow app and Plaid's first retries. Older orphans stay
 * recorded, never processed (the admin page's replay still can).
 */
export const ORPHAN_ADOPTION_WINDOW_SECONDS = 60 * 60;

/**
 * Advisory lock class (the two-key form, a key space of its own) on a Plaid item id. Webhook intake
 * holds it shared while it decides and records a batch; the exchange takes it exclusively just
 * before it commits a new item. A webhook is then either recorded after the item is visible (and
 * processed at once) or committed as `orphan` before the exchange commits (and adopted right after).
 */
export const PLAID_ITEM_LOCK_CLASS = 1_885_430_121;

/** The exchange's half of the lock: waits for deliveries of this item being recorded right now. */
export async function lockPlaidItemAgainstIntake(tx: Executor, plaidItemId: string): Promise<void> {
  await tx.execute(drizzleSql`select pg_advisory_xact_lock(${PLAID_ITEM_LOCK_CLASS}::int, hashtext(${plaidItemId}))`);
}

interface OrphanRow {
  id: string;
  body: string;
  item_id: string;
}

/**
 * Processes the webhooks that arrived for `plaidItemId` before its item was stored (recorded
 * `orphan`, within `ORPHAN_ADOPTION_WINDOW_SECONDS`), exactly as intake would have: a sync webhook's
 * job, an item webhook's job, and the rows' outcomes, in one transaction. Called once the item is
 * committed; rows another caller is adopting are skipped. Returns how many were adopted.
 */
export async function adoptOrphanWebhooks(deps: { sql: Sql; queue: WebhookEnqueuer }, input: { plaidItemId: string }): Promise<number> {
  const adopted = await deps.sql.begin(async (tx) => {
    const orphans = await tx<OrphanRow[]>`
      select e.id, e.body::text as body, i.id as item_id
      from webhook_events e join plaid_items i on i.plaid_item_id = e.plaid_item_id and i.status <> 'disconnected'
      where e.plaid_item_id = ${input.plaidItemId} and e.status = 'orphan'
        and e.received_at > now() - make_interval(secs => ${ORPHAN_ADOPTION_WINDOW_SECONDS})
      order by e.received_at
      for update of e skip locked`;
    if (orphans.length === 0) return 0;
    const syncs = new Map<string, SyncRequest>();
    const itemEvents: string[] = [];
    const processed: string[] = [];
    for (const orphan of orphans) {
      const action = actionFor(parseWebhook(orphan.body));
      if (action.kind === 'sync') {
        syncs.set(action.product, { itemId: orphan.item_id, product: action.product, trigger: 'webhook' });
        processed.push(orphan.id);
      } else if (action.kind === 'item') {
        itemEvents.push(orphan.id);
      }
    }
    await Promise.all([
      tx`update webhook_events set item_id = ${orphans[0]!.item_id}, status = 'processed', processed_at = now() where id = any(${processed}::uuid[])`,
      tx`update webhook_events set item_id = ${orphans[0]!.item_id}, status = 'received', processed_at = null where id = any(${itemEvents}::uuid[])`,
      syncs.size > 0 ? deps.queue.enqueueSyncs(tx, [...syncs.values()]) : undefined,
      itemEvents.length > 0 ? deps.queue.enqueueItemEvents(tx, itemEvents) : undefined,
    ]);
    return processed.length + itemEvents.length;
  });
  if (adopted > 0) deps.queue.notify();
  return adopted;
}

/**
 * Adopts the orphans whose item is stored by now but which no exchange adopted: the process that
 * committed the item died (or its adoption failed) before it looked. Run with the periodic
 * recovery, so an early ITEM webhook (an error, a pending expiration) is not lost with it. Cheap
 * when there is nothing to do: orphans are few and have a partial index of their own.
 */
export async function adoptStrandedOrphanWebhooks(deps: { sql: Sql; queue: WebhookEnqueuer }): Promise<number> {
  const stranded = await deps.sql<{ plaid_item_id: string }[]>`
    select distinct e.plaid_item_id
    from webhook_events e join plaid_items i on i.plaid_item_id = e.plaid_item_id and i.status <> 'disconnected'
    where e.status = 'orphan' and e.received_at > now() - make_interval(secs => ${ORPHAN_ADOPTION_WINDOW_SECONDS})`;
  let adopted = 0;
  for (const row of stranded) adopted += await adoptOrphanWebhooks(deps, { plaidItemId: row.plaid_item_id });
  return adopted;
}
