import { ITEM_DATA_LIMIT, type ItemData } from '../src/admin/item-data-query.js';
import type { AccountRow, ItemWebhookRow, ProductWaitRow, SyncRunRow } from '../src/admin/item-detail-query.js';
import type { ItemSummary } from '../src/admin/item-list-query.js';
import type { Product } from '../src/db/schema/index.js';
import { brokenWhileActive, RunStatusBadge, StatusBadges, WebhookOutcomeBadge } from './badges.js';
import { IDLE_POLL_SECONDS } from '../src/admin/live-progress.js';
import { formatDuration, formatMoney, formatTimestamp, isoString } from './format.js';
import { ItemDataPanels } from './item-data-tables.js';
import type { LiveProgress } from './item-row.js';
import { Layout } from './layout.js';
import { SimulatorItemControls } from './simulator-controls.js';
import { SyncCell } from './sync-progress.js';
import { BILLING_NOTICE } from '../src/services/product-enablement.js';

export interface ItemDetail {
  item: ItemSummary;
  /** The products the service syncs for the item (one Re-sync and Backfill pair each). */
  products: Product[];
  /** Products the item has accounts of but is not entitled to: never synced unless enabled (Plaid may bill them). */
  enableable: Product[];
  accounts: AccountRow[];
  data: ItemData;
  runs: SyncRunRow[];
  webhooks: ItemWebhookRow[];
  /** Products that wait (no accounts, consent, readiness) or that Plaid refused. */
  waits: ProductWaitRow[];
}

const WAIT_MEANING: Record<string, string> = {
  no_accounts: 'the item has no accounts of this product',
  consent_required: 'the user did not consent to this product at Link',
  not_ready: 'Plaid is still extracting this product; the next webhook syncs it',
  unsupported: 'Plaid does not offer this product for the item',
};

function ProductWaits(props: { waits: ProductWaitRow[] }) {
  if (props.waits.length === 0) return <>—</>;
  return (
    <ul class="product-waits">
      {props.waits.map((wait) => (
        <li data-product={wait.product} data-product-state={wait.state} title={`${WAIT_MEANING[wait.state] ?? wait.state}; the hourly check does not call Plaid for it`}>
          <span class="chip">{wait.product}</span> {wait.state}
          {wait.code !== null && <span class="sub mono"> {wait.code}</span>}
        </li>
      ))}
    </ul>
  );
}

/** What the page can offer beyond the item's own state: fixed for the process. */
export interface ItemPageOptions {
  simulator: boolean;
  statusCheckAvailable: boolean;
}

function AccountsTable(props: { accounts: AccountRow[] }) {
  if (props.accounts.length === 0) return <p class="empty">No accounts.</p>;
  const names = new Map(props.accounts.map((a) => [a.id, a.name]));
  return (
    <div class="table-scroll">
      <table class="data-table">
        <thead>
          <tr>
            <th>Account</th>
            <th>Type</th>
            <th>Product</th>
            <th>Status</th>
            <th class="num">Current</th>
            <th class="num">Available</th>
            <th>Replaced by</th>
          </tr>
        </thead>
        <tbody>
          {props.accounts.map((account) => {
            const currency = account.isoCurrencyCode ?? account.unofficialCurrencyCode;
            return (
              <tr data-account-status={account.status}>
                <td>
                  {account.name}
                  {account.mask !== null && <span class="sub mono">••{account.mask}</span>}
                </td>
                <td>{account.subtype ?? account.type}</td>
                <td>
                  <span class="chip">{account.product}</span>
                </td>
                <td>{account.status}</td>
                <td class="num mono">{formatMoney(account.balanceCurrent, currency)}</td>
                <td class="num mono">{formatMoney(account.balanceAvailable, currency)}</td>
                <td class="mono">{account.replacedBy === null ? '—' : (names.get(account.replacedBy) ?? account.replacedBy)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function RunsTable(props: { runs: SyncRunRow[] }) {
  if (props.runs.length === 0) return <p class="empty">No sync runs yet.</p>;
  return (
    <div class="table-scroll">
      <table class="data-table runs-table">
        <thead>
          <tr>
            <th>Started</th>
            <th>Product</th>
            <th>Trigger</th>
            <th>Status</th>
            <th class="num">Duration</th>
            <th class="num">Pages</th>
            <th class="num">Added</th>
            <th class="num">Modified</th>
            <th class="num">Removed</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((run) => (
            <tr data-run-status={run.status}>
              <td class="mono">
                <time datetime={isoString(run.startedAt)}>{formatTimestamp(run.startedAt)}</time>
              </td>
              <td>{run.product}</td>
              <td>{run.trigger}</td>
              <td>
                <RunStatusBadge status={run.status} />
              </td>
              <td class="num mono">{formatDuration(run.startedAt, run.finishedAt)}</td>
              <td class="num mono">{run.pages}</td>
              <td class="num mono">{run.added}</td>
              <td class="num mono">{run.modified}</td>
              <td class="num mono">{run.removed}</td>
              <td class="error-cell" title={run.errorMessage ?? undefined}>
                {run.errorCode ?? ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WebhooksTable(props: { webhooks: ItemWebhookRow[] }) {
  if (props.webhooks.length === 0) return <p class="empty">No webhooks for this item.</p>;
  return (
    <div class="table-scroll">
      <table class="data-table">
        <thead>
          <tr>
            <th>Received</th>
            <th>Type</th>
            <th>Code</th>
            <th>Outcome</th>
            <th>Error</th>
          </tr>
        </thead>
        <tbody>
          {props.webhooks.map((hook) => (
            <tr>
              <td class="mono">{formatTimestamp(hook.receivedAt)}</td>
              <td>{hook.webhookType}</td>
              <td>{hook.webhookCode}</td>
              <td>
                <WebhookOutcomeBadge status={hook.status} />
              </td>
              <td class="error-cell">{[hook.plaidErrorCode, hook.error].filter(Boolean).join(' · ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ItemActions(props: { item: ItemSummary; products: Product[]; enableable: Product[]; options: ItemPageOptions }) {
  const { item } = props;
  const disconnected = item.status === 'disconnected';
  const why = disconnected ? 'A disconnected item is never synced; the user must link it again' : undefined;
  return (
    <div class="actions">
      {props.products.map((product) => (
        <div class="action-group">
          <span class="group-label">{product}</span>
          <button
            type="button"
            class="button primary"
            data-action="resync"
            data-product={product}
            hx-post={`/admin/items/${item.id}/sync/${product}`}
            hx-target="#item-live"
            hx-swap="outerHTML"
            disabled={disconnected}
            title={why}
          >
            Re-sync
          </button>
          <button
            type="button"
            class="button"
            data-action="backfill"
            data-product={product}
            hx-post={`/admin/items/${item.id}/backfill/${product}`}
            hx-target="#item-live"
            hx-swap="outerHTML"
            hx-confirm={`Re-pull the whole ${product} history of this item from an empty cursor?`}
            disabled={disconnected}
            title={why}
          >
            Backfill history
          </button>
        </div>
      ))}
      {props.enableable.map((product) => (
        <div class="action-group">
          <span class="group-label">{product} (not synced)</span>
          <button
            type="button"
            class="button"
            data-action="enable-product"
            data-product={product}
            hx-post={`/admin/items/${item.id}/products/${product}/enable`}
            hx-target="#item-live"
            hx-swap="outerHTML"
            hx-confirm={`Enable ${product} for this item? ${BILLING_NOTICE}`}
            disabled={disconnected}
            title={why ?? `The item was not linked for ${product}; enabling it may be billed by Plaid`}
          >
            Enable (may be billed)
          </button>
        </div>
      ))}
      <div class="action-group">
        <button
          type="button"
          class="button"
          data-action="check-status"
          hx-post={`/admin/items/${item.id}/check-status`}
          hx-target="#item-live"
          hx-swap="outerHTML"
          disabled={disconnected || !props.options.statusCheckAvailable}
          title={props.options.statusCheckAvailable ? (why ?? 'Ask Plaid for the item’s state (/item/get)') : 'The status check is not available in this build'}
        >
          Check status
        </button>
      </div>
      {props.options.simulator && <SimulatorItemControls itemId={item.id} status={item.status} />}
    </div>
  );
}

/**
 * Everything on the page that work or another operator can change, the action buttons included. It
 * polls every second while work runs, and every few seconds otherwise (answered 204 while nothing
 * changed), so a webhook, a scheduled check or another operator's action shows without a reload.
 */
export function ItemLive(props: { detail: ItemDetail; live: LiveProgress; idlePollUrl: string; options: ItemPageOptions }) {
  const { item, accounts, runs, webhooks } = props.detail;
  const busy = props.live.pollUrl !== undefined;
  return (
    <div
      id="item-live"
      data-status={item.status}
      data-broken={brokenWhileActive(item) ? 'true' : undefined}
      data-live={busy ? 'polling' : 'idle'}
      hx-get={props.live.pollUrl ?? props.idlePollUrl}
      hx-trigger={busy ? 'every 1s' : `every ${IDLE_POLL_SECONDS}s`}
      hx-swap="outerHTML"
    >
      <ItemActions item={item} products={props.detail.products} enableable={props.detail.enableable} options={props.options} />
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadges item={item} />
          </dd>
        </div>
        <div>
          <dt>Last error</dt>
          <dd class="error-text" title={item.errorMessage ?? undefined}>
            {item.errorCode ? `${item.errorCode}${item.errorMessage ? ` — ${item.errorMessage}` : ''}` : '—'}
          </dd>
        </div>
        <div>
          <dt>Waiting products</dt>
          <dd>
            <ProductWaits waits={props.detail.waits} />
          </dd>
        </div>
        <div class="wide">
          <dt>Last successful sync</dt>
          <dd>
            <SyncCell products={item.products} lastSyncs={item.lastSyncs} running={item.running} waiting={props.live.waiting} />
          </dd>
        </div>
      </dl>
      <section class="panel">
        <h2>Accounts ({accounts.length})</h2>
        <AccountsTable accounts={accounts} />
      </section>
      <ItemDataPanels data={props.detail.data} limit={ITEM_DATA_LIMIT} products={props.detail.products} />
      <section class="panel">
        <h2>Recent sync runs</h2>
        <RunsTable runs={runs} />
      </section>
      <section class="panel">
        <h2>Recent webhooks</h2>
        <WebhooksTable webhooks={webhooks} />
      </section>
    </div>
  );
}

export interface ItemDetailPageProps {
  detail: ItemDetail;
  live: LiveProgress;
  idlePollUrl: string;
  options: ItemPageOptions;
  csrfToken: string;
}

export function ItemDetailPage(props: ItemDetailPageProps) {
  const { item } = props.detail;
  return (
    <Layout title={item.institutionName ?? 'Item'} section="items" csrfToken={props.csrfToken} simulator={props.options.simulator}>
      <p class="crumbs">
        <a href="/admin/items">← Items</a>
      </p>
      <div class="page-head">
        <h1>{item.institutionName ?? item.institutionId ?? 'Unknown institution'}</h1>
        <dl class="ids mono">
          <dt>item</dt>
          <dd>{item.id}</dd>
          <dt>plaid item</dt>
          <dd>{item.plaidItemId}</dd>
          <dt>user</dt>
          <dd>{item.userId}</dd>
        </dl>
      </div>
      <ItemLive detail={props.detail} live={props.live} idlePollUrl={props.idlePollUrl} options={props.options} />
    </Layout>
  );
}
