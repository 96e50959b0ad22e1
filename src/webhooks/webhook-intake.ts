import { createHash } from 'node:crypto';
import type { Sql } from '../db/client.js';
import type { WebhookOutcome } from '../db/schema/operations.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { VerificationKeyUnavailableError, WebhookVerificationError } from './verification-error.js';
import { actionFor } from './webhook-actions.js';
import type { WebhookEnqueuer } from './webhook-enqueuer.js';
import { InvalidWebhookBodyError, parseWebhook } from './webhook-schemas.js';
import type { WebhookVerifier } from './webhook-verifier.js';

export interface WebhookIntakeDeps {
  sql: Sql;
  logger: Logger;
  metrics: Pick<Metrics, 'plaidWebhooks' | 'webhookSignatureRejected'>;
  verify: WebhookVerifier;
  enqueuer: WebhookEnqueuer;
  dedupeWindowSeconds: number;
}

export type IntakeResult =
  | { status: 200; outcome: WebhookOutcome; eventId: string }
  | { status: 400; outcome: 'invalid'; message: string }
  | { status: 401; outcome: 'rejected' }
  | { status: 503; outcome: 'unavailable' };

interface RecordedRow {
  id: string;
  status: WebhookOutcome;
  item_id: string | null;
}

const UNKNOWN = 'UNKNOWN';

/**
 * Verify, record, enqueue, answer. The `webhook_events` row and its job commit in one transaction,
 * so a 200 means the work is durable; nothing from an unverified delivery is ever written.
 * Plaid sends no delivery id: a repeat is the same item, type, code and body hash inside the window.
 */
export async function receiveWebhook(
  deps: WebhookIntakeDeps,
  input: { rawBody: Uint8Array; verification: string | undefined },
): Promise<IntakeResult> {
  const { logger, metrics } = deps;
  try {
    await deps.verify(input.rawBody, input.verification);
  } catch (error) {
    if (error instanceof WebhookVerificationError) {
      metrics.webhookSignatureRejected.inc({ reason: error.reason });
      metrics.plaidWebhooks.inc({ webhook_type: UNKNOWN, webhook_code: UNKNOWN, outcome: 'rejected' });
      logger.warn({ reason: error.reason, bytes: input.rawBody.byteLength }, 'webhook_rejected');
      return { status: 401, outcome: 'rejected' };
    }
    if (error instanceof VerificationKeyUnavailableError) {
      metrics.webhookSignatureRejected.inc({ reason: 'key_unavailable' });
      logger.error({ plaidErrorCode: error.code }, 'webhook_key_unavailable');
      return { status: 503, outcome: 'unavailable' };
    }
    throw error;
  }

  const text = Buffer.from(input.rawBody.buffer, input.rawBody.byteOffset, input.rawBody.byteLength).toString('utf8');
  let parsed;
  try {
    parsed = parseWebhook(text);
  } catch (error) {
    if (!(error instanceof InvalidWebhookBodyError)) throw error;
    metrics.plaidWebhooks.inc({ webhook_type: UNKNOWN, webhook_code: UNKNOWN, outcome: 'invalid' });
    logger.warn({ reason: error.message }, 'webhook_invalid');
    return { status: 400, outcome: 'invalid', message: error.message };
  }

  const { webhook_type: type, webhook_code: code } = parsed.webhook;
  const plaidItemId = parsed.webhook.item_id ?? null;
  const action = actionFor(parsed);
  const sha256 = createHash('sha256').update(input.rawBody).digest('hex');

  const row = await deps.sql.begin(async (tx) => {
    // Two copies of one delivery arriving together must not both see "no earlier copy": the lock is
    // taken first; both statements go out together (one round trip) and run in order, so the insert's
    // snapshot already sees a copy committed by whoever held the lock before.
    const [, [recorded]] = await Promise.all([
      tx`select pg_advisory_xact_lock(hashtextextended(${sha256}, 0))`,
      tx<RecordedRow[]>`
      with item as (select id, status from plaid_items where plaid_item_id = ${plaidItemId}),
      earlier as (
        select 1 from webhook_events
        where plaid_item_id = ${plaidItemId} and webhook_type = ${type} and webhook_code = ${code}
          and body_sha256 = ${sha256}
          and received_at > now() - make_interval(secs => ${deps.dedupeWindowSeconds})
        limit 1
      ),
      decided as (
        select item.id as item_id,
          case
            when exists (select 1 from earlier) then 'duplicate'
            when ${action.kind} = 'none' then 'ignored'
            when item.id is null then 'orphan'
            when item.status = 'disconnected' then 'ignored'
            when ${action.kind} = 'sync' then 'processed'
            else 'received'
          end as status
        from (select 1) as one left join item on true
      )
      insert into webhook_events (webhook_type, webhook_code, plaid_item_id, item_id, body, body_sha256, status, processed_at)
      select ${type}, ${code}, ${plaidItemId}, decided.item_id, ${text}::jsonb, ${sha256}, decided.status,
        case when decided.status = 'received' then null else now() end
      from decided
      returning id, status, item_id`,
    ]);
    const result = recorded!;
    if (result.status === 'processed' && action.kind === 'sync' && result.item_id) {
      await deps.enqueuer.enqueueSync(tx, { itemId: result.item_id, product: action.product, trigger: 'webhook' });
    } else if (result.status === 'received') {
      await deps.enqueuer.enqueueItemEvent(tx, result.id);
    }
    return result;
  });
  if (row.status === 'processed' || row.status === 'received') deps.enqueuer.notify();

  const outcome = row.status === 'processed' || row.status === 'received' ? 'accepted' : row.status;
  metrics.plaidWebhooks.inc({ webhook_type: type, webhook_code: code, outcome });
  // Accepted webhooks are the hot path (thousands a second); the request line already records them.
  const level = outcome === 'accepted' ? 'debug' : 'info';
  logger[level]({ webhookType: type, webhookCode: code, plaidItemId, eventId: row.id, outcome }, 'webhook_received');
  return { status: 200, outcome: row.status, eventId: row.id };
}
