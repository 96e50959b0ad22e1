import type { ItemPage } from '../src/admin/item-list-query.js';
import { listQueryString, SORT_KEYS, STATUS_FILTERS, type ListParams, type SortKey } from '../src/admin/list-params.js';
import { IDLE_POLL_SECONDS } from '../src/admin/live-progress.js';
import { PRODUCTS } from '../src/db/schema/index.js';
import { ItemRow, type LiveProgress } from './item-row.js';
import { Layout } from './layout.js';
import { SimulatorLinkControl } from './simulator-controls.js';

const SORT_LABELS: Record<SortKey, string> = {
  institution: 'Institution',
  user: 'User',
  status: 'Status',
  last_sync: 'Last successful sync',
  created: 'Linked date',
};

function SortHeader(props: { params: ListParams; sort: SortKey; class: string }) {
  const current = props.params.sort === props.sort;
  const dir = current && props.params.dir === 'asc' ? 'desc' : 'asc';
  const href = `/admin/items${listQueryString(props.params, { sort: props.sort, dir, page: 1 })}`;
  return (
    <th class={props.class} aria-sort={current ? (props.params.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
      <a href={href} hx-get={href} hx-target="#items-results" hx-swap="outerHTML" hx-push-url="true" class="sort-link">
        {SORT_LABELS[props.sort]}
        <span class="sort-mark" aria-hidden="true">
          {current ? (props.params.dir === 'asc' ? '▲' : '▼') : ''}
        </span>
      </a>
    </th>
  );
}

function Pager(props: { page: ItemPage; params: ListParams }) {
  const { page, params } = props;
  const link = (target: number, label: string, rel: string) => {
    const href = `/admin/items${listQueryString(params, { page: target })}`;
    return (
      <a href={href} hx-get={href} hx-target="#items-results" hx-swap="outerHTML" hx-push-url="true" class="button small" rel={rel}>
        {label}
      </a>
    );
  };
  return (
    <nav class="pager" aria-label="Pages">
      <span class="pager-count">
        {page.total.toLocaleString('en-US')} {page.total === 1 ? 'item' : 'items'} · page {page.page} of {page.pageCount}
      </span>
      {page.page > 1 ? link(page.page - 1, '← Previous', 'prev') : <span class="button small disabled">← Previous</span>}
      {page.page < page.pageCount ? link(page.page + 1, 'Next →', 'next') : <span class="button small disabled">Next →</span>}
    </nav>
  );
}

/** The event an action's answer raises (`HX-Trigger`) when it changed what the list shows. */
export const ITEMS_CHANGED_EVENT = 'items-changed';

export interface ItemsResultsProps {
  page: ItemPage;
  params: ListParams;
  liveFor: (id: string) => LiveProgress;
  /** This view with the version it shows: answered 204 while nothing changed. */
  pollUrl: string;
}

/**
 * The list of this view. It asks every few seconds, and at once after an action that changes the
 * list, whether anything changed (statuses move through webhooks, checks and other operators).
 */
export function ItemsResults(props: ItemsResultsProps) {
  const { page, params } = props;
  return (
    <section
      id="items-results"
      class="results"
      hx-get={props.pollUrl}
      hx-trigger={`every ${IDLE_POLL_SECONDS}s, ${ITEMS_CHANGED_EVENT} from:body`}
      hx-swap="outerHTML"
    >
      <div class="table-scroll">
        <table class="items-table">
          <thead>
            <tr>
              {(['institution', 'user', 'status'] as const).map((key) => (
                <SortHeader params={params} sort={key} class={`col-${key}`} />
              ))}
              <th class="col-products">Products</th>
              <SortHeader params={params} sort="last_sync" class="col-sync" />
              <th class="col-error">Last error</th>
              <th class="col-accounts num">Accounts</th>
              <th class="col-actions">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((item) => (
              <ItemRow item={item} live={props.liveFor(item.id)} />
            ))}
          </tbody>
        </table>
      </div>
      {page.items.length === 0 && <p class="empty">No items match these filters.</p>}
      <Pager page={page} params={params} />
    </section>
  );
}

function Filters(props: { params: ListParams }) {
  const { params } = props;
  return (
    <form
      class="filters"
      action="/admin/items"
      method="get"
      hx-get="/admin/items"
      hx-target="#items-results"
      hx-swap="outerHTML"
      hx-push-url="true"
      hx-trigger="submit, change, input changed delay:300ms from:#search-q"
      role="search"
    >
      <label class="field">
        <span>Search</span>
        <input id="search-q" type="search" name="q" value={params.q ?? ''} placeholder="institution, user id or item id" autocomplete="off" />
      </label>
      <label class="field">
        <span>Status</span>
        <select name="status">
          <option value="">any</option>
          {STATUS_FILTERS.map((status) => (
            <option value={status} selected={params.status === status}>
              {status === 'error' ? 'active with an error' : status.replace('_', ' ')}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Product</span>
        <select name="product">
          <option value="">any</option>
          {PRODUCTS.map((product) => (
            <option value={product} selected={params.product === product}>
              {product}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Sort</span>
        <select name="sort">
          {SORT_KEYS.map((key) => (
            <option value={key} selected={params.sort === key}>
              {SORT_LABELS[key].toLowerCase()}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Order</span>
        <select name="dir">
          <option value="asc" selected={params.dir === 'asc'}>
            ascending
          </option>
          <option value="desc" selected={params.dir === 'desc'}>
            descending
          </option>
        </select>
      </label>
      <noscript>
        <button type="submit" class="button">
          Apply
        </button>
      </noscript>
    </form>
  );
}

export interface ItemsPageProps extends ItemsResultsProps {
  csrfToken: string;
  simulator: boolean;
  refreshAllAvailable: boolean;
}

export function ItemsPage(props: ItemsPageProps) {
  return (
    <Layout title="Items" section="items" csrfToken={props.csrfToken} simulator={props.simulator}>
      <div class="page-head">
        <h1>Items</h1>
        <div class="page-actions">
          {props.simulator && <SimulatorLinkControl />}
          <button
            type="button"
            class="button"
            hx-post="/admin/items/refresh-all"
            hx-confirm="Sync every active item now?"
            hx-swap="none"
            disabled={!props.refreshAllAvailable}
            title={props.refreshAllAvailable ? 'Ask for a sync of every active item' : 'Refresh-all is not available in this build'}
          >
            Refresh all
          </button>
        </div>
      </div>
      <Filters params={props.params} />
      <ItemsResults page={props.page} params={props.params} liveFor={props.liveFor} pollUrl={props.pollUrl} />
    </Layout>
  );
}
