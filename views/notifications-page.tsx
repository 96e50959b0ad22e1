import type { NotificationRow } from '../src/admin/notification-query.js';
import type { ReceivedNotice } from '../src/notifications/builtin-receiver.js';
import { Badge } from './badges.js';
import { formatTimestamp, shortId } from './format.js';
import { Layout } from './layout.js';

export interface NotificationsPageProps {
  rows: NotificationRow[];
  /** False without APP_WEBHOOK_URL: nothing is sent, the list explains why. */
  enabled: boolean;
  csrfToken: string;
  simulator: boolean;
  /** Simulator mode without APP_WEBHOOK_URL: what the built-in receiver got, newest first. */
  received?: readonly ReceivedNotice[] | undefined;
}

function ReceiverSection(props: { received: readonly ReceivedNotice[] }) {
  return (
    <section id="builtin-receiver">
      <h2>Built-in receiver</h2>
      <p class="muted">
        APP_WEBHOOK_URL is not set, so in simulator mode the notifications go to a receiver inside this service, which verifies each
        signature with the standardwebhooks package as an app would. Set APP_WEBHOOK_URL and APP_WEBHOOK_SECRET to send them to your app.
      </p>
      <table class="data-table">
        <thead>
          <tr>
            <th>Received</th>
            <th>Event</th>
            <th>User</th>
            <th>Signature</th>
            <th>What it says</th>
          </tr>
        </thead>
        <tbody>
          {props.received.map((notice) => (
            <tr data-verified={String(notice.verified)}>
              <td class="mono">{formatTimestamp(notice.receivedAt)}</td>
              <td>{notice.type}</td>
              <td class="mono" title={notice.userId ?? undefined}>
                {notice.userId === null ? '—' : shortId(notice.userId)}
              </td>
              <td>
                <Badge tone={notice.verified ? 'ok' : 'error'} label={notice.verified ? 'verified' : 'invalid'} />
              </td>
              <td>{notice.summary}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.received.length === 0 && <p class="empty">Nothing received yet: link an item or advance one in the simulator controls.</p>}
    </section>
  );
}

const TONES: Record<string, string> = { delivered: 'ok', pending: 'warn', failed: 'error' };

export function NotificationRowView(props: { row: NotificationRow; enabled: boolean; flash?: string }) {
  const { row } = props;
  return (
    <tr id={`notification-${row.id}`} data-status={row.status}>
      <td class="mono">{formatTimestamp(row.updatedAt)}</td>
      <td>{row.event}</td>
      <td class="mono" title={row.userId}>
        {shortId(row.userId)}
      </td>
      <td>
        <Badge tone={TONES[row.status] ?? 'muted'} label={row.status} />
      </td>
      <td>{row.attempts}</td>
      <td class="error-cell" title={row.lastError ?? undefined}>
        {row.lastAttemptAt === null ? '—' : `${row.lastStatusCode ?? row.lastError ?? ''} at ${formatTimestamp(row.lastAttemptAt)}`}
      </td>
      <td class="col-actions">
        {props.flash !== undefined ? (
          <span class="muted">{props.flash}</span>
        ) : (
          <button
            type="button"
            class="button small"
            hx-post={`/admin/notifications/${row.id}/redeliver`}
            hx-target={`#notification-${row.id}`}
            hx-swap="outerHTML"
            disabled={!props.enabled}
            title={props.enabled ? 'Send this notice to the app again' : 'APP_WEBHOOK_URL is not set'}
          >
            Redeliver
          </button>
        )}
      </td>
    </tr>
  );
}

export function NotificationsPage(props: NotificationsPageProps) {
  return (
    <Layout title="Notifications" section="notifications" csrfToken={props.csrfToken} simulator={props.simulator}>
      <div class="page-head">
        <h1>Notifications to the app</h1>
      </div>
      {!props.enabled && <p class="muted">APP_WEBHOOK_URL is not set: nothing is sent.</p>}
      {props.received !== undefined && <ReceiverSection received={props.received} />}
      <table class="data-table">
        <thead>
          <tr>
            <th>Updated</th>
            <th>Event</th>
            <th>User</th>
            <th>Status</th>
            <th>Attempts</th>
            <th>Last outcome</th>
            <th class="col-actions">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <NotificationRowView row={row} enabled={props.enabled} />
          ))}
        </tbody>
      </table>
      {props.rows.length === 0 && <p class="empty">No notifications yet.</p>}
    </Layout>
  );
}
