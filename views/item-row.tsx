import type { ItemSummary } from '../src/admin/item-list-query.js';
import { brokenWhileActive, StatusBadges } from './badges.js';
import { shortId } from './format.js';
import { SyncCell } from './sync-progress.js';

export interface LiveProgress {
  /** Set while work is running or queued: the fragment polls this URL and replaces itself. */
  pollUrl?: string;
  /** An action asked for work that has not started yet. */
  waiting: boolean;
}

export function ItemRow(props: { item: ItemSummary; live: LiveProgress }) {
  const { item, live } = props;
  const poll = live.pollUrl !== undefined;
  return (
    <tr
      id={`item-${item.id}`}
      class={brokenWhileActive(item) ? 'item-row broken' : 'item-row'}
      data-item-id={item.id}
      data-status={item.status}
      data-broken={brokenWhileActive(item) ? 'true' : undefined}
      data-live={poll ? 'polling' : 'idle'}
      hx-get={live.pollUrl}
      hx-trigger={poll ? 'every 1s' : undefined}
      hx-swap={poll ? 'outerHTML' : undefined}
    >
      <td class="col-institution">
        <a href={`/admin/items/${item.id}`} class="item-link">
          {item.institutionName ?? item.institutionId ?? 'Unknown institution'}
        </a>
        <span class="sub mono" title={item.plaidItemId}>
          {shortId(item.plaidItemId)}
        </span>
      </td>
      <td class="col-user mono" title={item.userId}>
        {shortId(item.userId)}
      </td>
      <td class="col-status">
        <StatusBadges item={item} />
      </td>
      <td class="col-products">
        {item.products.map((product) => (
          <span class="chip">{product}</span>
        ))}
      </td>
      <td class="col-sync">
        <SyncCell products={item.products} lastSyncs={item.lastSyncs} running={item.running} waiting={live.waiting} />
      </td>
      <td class="col-error">
        {item.errorCode ? (
          <span class="error-text" title={item.errorMessage ?? undefined}>
            {item.errorCode}
          </span>
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td class="col-accounts num">{item.accountCount}</td>
      <td class="col-actions">
        <button
          type="button"
          class="button small"
          hx-post={`/admin/items/${item.id}/resync`}
          hx-target={`#item-${item.id}`}
          hx-swap="outerHTML"
          disabled={item.status === 'disconnected' || poll}
          title={item.status === 'disconnected' ? 'A disconnected item is never synced' : 'Sync every product of this item now'}
        >
          Re-sync
        </button>
      </td>
    </tr>
  );
}
