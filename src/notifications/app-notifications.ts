/**
 * Notifications to the app, signed per the Standard Webhooks specification. Signals (changes) and
 * notices (item status) are written by triggers in the transaction that changed the data (migration
 * 0013), so they survive a crash right after the commit; `dispatchPending` folds signals into one
 * pending notice per user and queues one delivery job per notice, and
 * `deliverNotification` is that job: one signed POST, recorded, retried by pg-boss with backoff.
 */
import type PgBoss from 'pg-boss';
import { Webhook } from 'standardwebhooks';
import type { AppWebhookConfig } from '../config/load-config.js';
import type { Sql, TransactionSql } from '../db/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { APP_WEBHOOK_QUEUE } from '../queue/queue-names.js';
import { insertJobs } from '../queue/transaction-db.js';
import { positionAt } from '../services/change-feed.js';
import { feedHorizon, horizonQueryOf } from '../services/feed-horizon.js';

export interface AppNotificationJobData {
  notificationId: string;
  /** Set by a redelivery from the admin page: send even if the notice was delivered or gave up. */
  force?: boolean;
}

export type AttemptOutcome = 'delivered' | 'http_error' | 'timeout' | 'network_error';

interface NotificationRow {
  id: string;
  event: 'changes.available' | 'item.status_changed';
  user_id: string;
  item_ids: string[];
  products: string[];
  detail: { old_status?: string; new_status?: string };
  version: number;
  status: 'pending' | 'delivered' | 'failed';
}

/** What the app should offer its user for an item's new status. */
export function actionFor(status: string | undefined): 'fix' | 'relink' | 'none' {
  if (status === 'needs_reauth') return 'fix';
  if (status === 'disconnected') return 'relink';
  return 'none';
}

function retryOptions(config: AppWebhookConfig): Pick<PgBoss.JobInsert, 'retryLimit' | 'retryDelay' | 'retryBackoff' | 'expireInSeconds'> {
  return {
    retryLimit: config.retryLimit,
    retryDelay: config.retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: Math.ceil(config.timeoutMs / 1000) + 60,
  };
}

/** Signals folded into notices per dispatch pass; the rest wait for the next pass (a second later). */
const SIGNALS_PER_PASS = 10_000;

/**
 * Folds the signals data transactions left (migration 0013) into one pending changes.available
 * notice per user, in this short transaction rather than in theirs: a notice row written by a sync
 * would be locked until that sync commits, and every other sync of the user would wait for it.
 * Signals another dispatcher holds are skipped; notices are upserted in user order, so two
 * dispatchers never wait on each other in a cycle. Returns how many signals were folded.
 */
async function foldSignals(tx: TransactionSql): Promise<number> {
  const [row] = await tx<{ folded: number }[]>`
    with taken as (
      delete from app_notification_signals
      where id in (select id from app_notification_signals order by id limit ${SIGNALS_PER_PASS} for update skip locked)
      returning user_id, item_ids, products
    ),
    merged as (
      select u.user_id,
        array(select distinct i from taken t, unnest(t.item_ids) as i where t.user_id = u.user_id order by 1) as item_ids,
        array(select distinct p from taken t, unnest(t.products) as p where t.user_id = u.user_id order by 1) as products
      from (select distinct user_id from taken) as u
    ),
    upserted as (
      insert into app_notifications (event, user_id, item_ids, products)
      select 'changes.available', user_id, item_ids, products from merged order by user_id
      on conflict (user_id) where event = 'changes.available' and status = 'pending'
      do update set
        item_ids = array(select distinct unnest(app_notifications.item_ids || excluded.item_ids) order by 1),
        products = array(select distinct unnest(app_notifications.products || excluded.products) order by 1),
        version = app_notifications.version + 1,
        updated_at = now()
      returning 1
    )
    select (select count(*) from taken)::int as folded, (select count(*) from upserted)::int as notices`;
  return row?.folded ?? 0;
}

/**
 * Folds pending signals into notices, then queues a delivery job for every pending notice not yet
 * queued, in one transaction with the mark, so a notice is queued exactly once. Returns how many
 * were queued.
 */
export async function dispatchPending(sql: Sql, boss: PgBoss, config: AppWebhookConfig, limit = 500): Promise<number> {
  return sql.begin(async (tx) => {
    await foldSignals(tx);
    const rows = await tx<{ id: string; force: boolean }[]>`
      with due as (
        select id, redeliver_requested as force from app_notifications
        where (status = 'pending' and not queued) or redeliver_requested
        order by created_at limit ${limit} for update skip locked
      )
      update app_notifications n set queued = n.queued or n.status = 'pending', redeliver_requested = false
      from due where n.id = due.id
      returning n.id, due.force`;
    if (rows.length === 0) return 0;
    const jobs = rows.map((row) => ({
      name: APP_WEBHOOK_QUEUE,
      data: { notificationId: row.id, ...(row.force ? { force: true } : {}) } satisfies AppNotificationJobData,
      ...retryOptions(config),
    }));
    await insertJobs(tx, boss, jobs);
    return rows.length;
  });
}

/**
 * Asks for one more delivery of a notice (the admin page's "Redeliver"); the dispatcher of any
 * instance that delivers queues it. False when there is no such notice.
 */
export async function requestRedelivery(sql: Sql, notificationId: string): Promise<boolean> {
  const rows = await sql`update app_notifications set redeliver_requested = true where id = ${notificationId} returning id`;
  return rows.length > 0;
}

export function payloadOf(row: NotificationRow, position: string, at: Date): object {
  const timestamp = at.toISOString();
  if (row.event === 'changes.available') {
    return { type: row.event, timestamp, data: { user_id: row.user_id, item_ids: row.item_ids, products: row.products, position } };
  }
  return {
    type: row.event,
    timestamp,
    data: {
      item_id: row.item_ids[0],
      user_id: row.user_id,
      old_status: row.detail.old_status,
      new_status: row.detail.new_status,
      action: actionFor(row.detail.new_status),
    },
  };
}

/** The feed position every committed change is at or before (see currentFeedPosition). */
async function feedPosition(sql: Sql): Promise<string> {
  return positionAt(await feedHorizon(horizonQueryOf.postgres(sql)));
}

export interface DeliveryDeps {
  sql: Sql;
  config: AppWebhookConfig;
  logger: Logger;
  metrics: Metrics;
  fetch?: typeof fetch;
}

export class DeliveryFailedError extends Error {}

interface Attempt {
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

async function post(deps: DeliveryDeps, messageId: string, body: string): Promise<Attempt> {
  const now = new Date();
  const signature = new Webhook(deps.config.secret).sign(messageId, now, body);
  const started = performance.now();
  const doFetch = deps.fetch ?? fetch;
  try {
    const response = await doFetch(deps.config.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': messageId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.config.timeoutMs),
    });
    // The body is not ours to keep: drained so the connection is released.
    await response.arrayBuffer().catch(() => undefined);
    const durationMs = Math.round(performance.now() - started);
    const ok = response.status >= 200 && response.status < 300;
    return { outcome: ok ? 'delivered' : 'http_error', statusCode: response.status, error: ok ? null : `HTTP ${response.status}`, durationMs };
  } catch (error) {
    const durationMs = Math.round(performance.now() - started);
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return { outcome: 'timeout', statusCode: null, error: `no answer within ${deps.config.timeoutMs} ms`, durationMs };
    }
    const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
    return { outcome: 'network_error', statusCode: null, error: cause ?? (error as Error).message, durationMs };
  }
}

/**
 * One delivery attempt of a notice. Throws DeliveryFailedError when the app did not take it, so
 * pg-boss retries with backoff; `lastTry` marks the notice failed instead of pending.
 */
export async function deliverNotification(deps: DeliveryDeps, job: AppNotificationJobData, lastTry: boolean): Promise<{ outcome: AttemptOutcome | 'skipped' }> {
  const { sql } = deps;
  const [row] = await sql<NotificationRow[]>`
    select id, event, user_id, item_ids::text[] as item_ids, products, detail, version, status
    from app_notifications where id = ${job.notificationId}`;
  if (!row || (row.status !== 'pending' && !job.force)) return { outcome: 'skipped' };

  const body = JSON.stringify(payloadOf(row, await feedPosition(sql), new Date()));
  // One id per content: a retry of the same version is the same message, a merged version a new one.
  const messageId = `msg_${row.id.replaceAll('-', '')}_${row.version}`;
  const attempt = await post(deps, messageId, body);

  deps.metrics.appWebhookDeliveries.inc({ event: row.event, outcome: attempt.outcome });
  deps.metrics.appWebhookDeliverySeconds.observe({ event: row.event }, attempt.durationMs / 1000);
  const delivered = attempt.outcome === 'delivered';
  await sql.begin(async (tx) => {
    await tx`insert into app_notification_attempts (notification_id, version, outcome, status_code, error, duration_ms)
      values (${row.id}, ${row.version}, ${attempt.outcome}, ${attempt.statusCode}, ${attempt.error}, ${attempt.durationMs})`;
    await tx`update app_notifications set attempts = attempts + 1, last_status_code = ${attempt.statusCode},
      last_error = ${attempt.error}, last_attempt_at = now() where id = ${row.id}`;
    if (delivered) {
      // Changes merged in while this one was on the wire keep the notice pending and unqueued: the
      // dispatcher sends the merged version as a new message.
      const done = await tx`update app_notifications set status = 'delivered', delivered_at = now(), updated_at = now()
        where id = ${row.id} and version = ${row.version}`;
      if (done.count === 0) await tx`update app_notifications set queued = false where id = ${row.id} and status = 'pending'`;
    } else if (lastTry && !job.force) {
      await tx`update app_notifications set status = 'failed', updated_at = now() where id = ${row.id} and status = 'pending'`;
    }
  });
  deps.logger[delivered ? 'info' : 'warn'](
    { notificationId: row.id, event: row.event, outcome: attempt.outcome, statusCode: attempt.statusCode, durationMs: attempt.durationMs },
    'app_webhook_attempt',
  );
  if (!delivered) throw new DeliveryFailedError(attempt.error ?? attempt.outcome);
  return { outcome: attempt.outcome };
}

/**
 * Deletes notices (and their attempts) last touched more than `days` ago: delivered and failed ones,
 * and pending ones too when nothing sends them (no APP_WEBHOOK_URL), so an unused table stays small.
 */
export async function pruneNotifications(sql: Sql, days: number, sending: boolean): Promise<number> {
  const rows = await sql`delete from app_notifications
    where updated_at < now() - make_interval(days => ${days}) and (status <> 'pending' or ${!sending})`;
  // Signals nobody folds (no APP_WEBHOOK_URL on any instance) would only grow.
  const signals = sending ? { count: 0 } : await sql`delete from app_notification_signals where created_at < now() - make_interval(days => ${days})`;
  return rows.count + signals.count;
}
