import type { Sql } from '../db/client.js';

export interface NotificationRow {
  id: string;
  event: string;
  userId: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  updatedAt: Date;
}

const COLUMNS = `id, event, user_id as "userId", status, attempts, last_status_code as "lastStatusCode",
  last_error as "lastError", last_attempt_at as "lastAttemptAt", updated_at as "updatedAt"`;

export async function findNotification(sql: Sql, id: string): Promise<NotificationRow | undefined> {
  const [row] = await sql<NotificationRow[]>`select ${sql.unsafe(COLUMNS)} from app_notifications where id = ${id}`;
  return row;
}

/** The newest notices to the app with their last outcome; bank data stays out (ids and statuses only). */
export async function recentNotifications(sql: Sql, limit = 100): Promise<NotificationRow[]> {
  return sql<NotificationRow[]>`
    select ${sql.unsafe(COLUMNS)} from app_notifications order by updated_at desc limit ${limit}`;
}
