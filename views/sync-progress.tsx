import type { LastSync, RunningSync } from '../src/admin/item-list-query.js';
import { formatTimestamp, isoString } from './format.js';

/** Per product: a running sync's progress, or when it last succeeded. */
export function SyncCell(props: { products: string[]; lastSyncs: LastSync[]; running: RunningSync[]; waiting: boolean }) {
  const products = [...new Set([...props.products, ...props.lastSyncs.map((s) => s.product), ...props.running.map((r) => r.product)])];
  if (products.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="sync-list">
      {products.map((product) => {
        const run = props.running.find((r) => r.product === product);
        const last = props.lastSyncs.find((s) => s.product === product);
        return (
          <li class="sync-line" data-product={product}>
            <span class="sync-product">{product}</span>
            {run ? (
              <span class="progress" data-progress="running">
                <span class="spinner" aria-hidden="true"></span>
                syncing · {run.pages} {run.pages === 1 ? 'page' : 'pages'} · +{run.added} ~{run.modified} −{run.removed}
                {run.rateLimitedUntil !== null && (
                  <span class="muted" data-rate-limited={product}>
                    {' '}· waiting for Plaid's rate limit until{' '}
                    <time datetime={isoString(run.rateLimitedUntil)}>{formatTimestamp(run.rateLimitedUntil)}</time>
                  </span>
                )}
              </span>
            ) : last ? (
              <time class="last-sync" datetime={isoString(last.finishedAt)} data-last-sync={product}>
                {formatTimestamp(last.finishedAt)}
              </time>
            ) : (
              <span class="muted" data-last-sync={product}>
                never
              </span>
            )}
          </li>
        );
      })}
      {props.waiting && props.running.length === 0 && (
        <li class="sync-line">
          <span class="progress" data-progress="queued">
            <span class="spinner" aria-hidden="true"></span>
            queued…
          </span>
        </li>
      )}
    </ul>
  );
}
