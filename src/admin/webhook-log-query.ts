import { desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { plaidItems, webhookEvents, type WebhookOutcome } from '../db/schema/index.js';
import { plaidErrorCodeOf } from './item-detail-query.js';

export const WEBHOOK_LOG_LIMIT = 100;

/** The newest webhooks, optionally of one outcome, with the item they were matched to. */
export function recentWebhooks(db: Database, outcome: WebhookOutcome | undefined) {
  return db
    .select({
      id: webhookEvents.id,
      receivedAt: webhookEvents.receivedAt,
      webhookType: webhookEvents.webhookType,
      webhookCode: webhookEvents.webhookCode,
      plaidItemId: webhookEvents.plaidItemId,
      itemId: webhookEvents.itemId,
      institutionName: plaidItems.institutionName,
      status: webhookEvents.status,
      error: webhookEvents.error,
      plaidErrorCode: plaidErrorCodeOf(),
    })
    .from(webhookEvents)
    .leftJoin(plaidItems, eq(plaidItems.id, webhookEvents.itemId))
    .where(outcome === undefined ? undefined : eq(webhookEvents.status, outcome))
    .orderBy(desc(webhookEvents.receivedAt))
    .limit(WEBHOOK_LOG_LIMIT);
}

export type WebhookLogRow = Awaited<ReturnType<typeof recentWebhooks>>[number];

/** Counts per outcome over the last day, for the summary line above the log. */
export async function webhookOutcomeCounts(db: Database): Promise<Record<string, number>> {
  const rows = await db
    .select({ status: webhookEvents.status, count: sql<number>`count(*)::int` })
    .from(webhookEvents)
    .where(sql`${webhookEvents.receivedAt} > now() - interval '24 hours'`)
    .groupBy(webhookEvents.status);
  return Object.fromEntries(rows.map((row) => [row.status, row.count]));
}

export async function findWebhook(db: Database, id: string) {
  const [row] = await db.select({ id: webhookEvents.id, status: webhookEvents.status }).from(webhookEvents).where(eq(webhookEvents.id, id));
  return row;
}
