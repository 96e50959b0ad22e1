import type { WebhookLogRow } from '../src/admin/webhook-log-query.js';
import { WEBHOOK_OUTCOMES, type WebhookOutcome } from '../src/db/schema/index.js';
import { WebhookOutcomeBadge } from './badges.js';
import { formatTimestamp, shortId } from './format.js';
import { Layout } from './layout.js';

export interface WebhookLogPageProps {
  rows: WebhookLogRow[];
  outcome: WebhookOutcome | undefined;
  counts: Record<string, number>;
  rejectedSignatures: number;
  replayAvailable: boolean;
  csrfToken: string;
  simulator: boolean;
}

export function WebhookRow(props: { row: WebhookLogRow; replayAvailable: boolean }) {
  const { row } = props;
  return (
    <tr id={`webhook-${row.id}`} data-outcome={row.status}>
      <td class="mono">{formatTimestamp(row.receivedAt)}</td>
      <td>{row.webhookType}</td>
      <td>{row.webhookCode}</td>
      <td>
        {row.itemId !== null ? (
          <a href={`/admin/items/${row.itemId}`}>{row.institutionName ?? shortId(row.itemId)}</a>
        ) : (
          <span class="mono muted" title={row.plaidItemId ?? undefined}>
            {row.plaidItemId === null ? '—' : shortId(row.plaidItemId)}
          </span>
        )}
      </td>
      <td>
        <WebhookOutcomeBadge status={row.status} />
      </td>
      <td class="error-cell" title={row.error ?? undefined} data-plaid-error={row.plaidErrorCode ?? undefined}>
        {[row.plaidErrorCode, row.error].filter(Boolean).join(' · ')}
      </td>
      <td class="col-actions">
        <button
          type="button"
          class="button small"
          hx-post={`/admin/webhooks/${row.id}/replay`}
          hx-target={`#webhook-${row.id}`}
          hx-swap="outerHTML"
          disabled={!props.replayAvailable}
          title={props.replayAvailable ? 'Process this recorded event again' : 'Replay is not available in this build'}
        >
          Replay
        </button>
      </td>
    </tr>
  );
}

export function WebhookLogPage(props: WebhookLogPageProps) {
  return (
    <Layout title="Webhooks" section="webhooks" csrfToken={props.csrfToken} simulator={props.simulator}>
      <div class="page-head">
        <h1>Webhooks</h1>
      </div>
      <ul class="stat-row">
        {WEBHOOK_OUTCOMES.map((outcome) => (
          <li class="stat">
            <span class="stat-value">{props.counts[outcome] ?? 0}</span>
            <span class="stat-label">{outcome} (24 h)</span>
          </li>
        ))}
        <li class="stat stat-alert">
          <span class="stat-value" data-rejected-signatures>
            {props.rejectedSignatures}
          </span>
          <span class="stat-label">rejected signatures (this instance, since start)</span>
        </li>
      </ul>
      <nav class="tabs" aria-label="Filter by outcome">
        <a href="/admin/webhooks" class={props.outcome === undefined ? 'tab current' : 'tab'}>
          all
        </a>
        {WEBHOOK_OUTCOMES.map((outcome) => (
          <a href={`/admin/webhooks?outcome=${outcome}`} class={props.outcome === outcome ? 'tab current' : 'tab'}>
            {outcome}
          </a>
        ))}
      </nav>
      <div class="table-scroll">
        <table class="data-table webhook-table">
          <thead>
            <tr>
              <th>Received</th>
              <th>Type</th>
              <th>Code</th>
              <th>Item</th>
              <th>Outcome</th>
              <th>Error</th>
              <th class="col-actions">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((row) => (
              <WebhookRow row={row} replayAvailable={props.replayAvailable} />
            ))}
          </tbody>
        </table>
      </div>
      {props.rows.length === 0 && <p class="empty">No webhooks recorded.</p>}
    </Layout>
  );
}
