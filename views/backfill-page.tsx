import type { ProductBackfillCounts } from '../src/services/product-backfill.js';
import { Layout } from './layout.js';

function CountsTable(props: { view: ProductBackfillCounts; caption: string }) {
  return (
    <table class="data-table counts-table">
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th>Product</th>
          <th class="num">Accounts</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(props.view.byProduct).map(([product, count]) => (
          <tr data-product={product}>
            <td>{product}</td>
            <td class="num mono">{count}</td>
          </tr>
        ))}
        <tr class="total">
          <td>Total</td>
          <td class="num mono" data-total>
            {props.view.total}
          </td>
        </tr>
      </tbody>
    </table>
  );
}

/** The dry run, and after an apply its result; swapped in place by the apply button. */
export function BackfillPanel(props: { plan: ProductBackfillCounts; applied?: ProductBackfillCounts | undefined; applyAvailable: boolean }) {
  return (
    <section id="backfill-panel" class="panel">
      {props.applied !== undefined && (
        <div class="result" data-applied>
          <CountsTable view={props.applied} caption="Updated by this apply" />
        </div>
      )}
      <CountsTable view={props.plan} caption="Dry run: legacy accounts that would change" />
      {props.plan.total === 0 ? (
        <p class="empty">Nothing to backfill: every account has its product.</p>
      ) : (
        <button
          type="button"
          class="button primary"
          hx-post="/admin/backfill/apply"
          hx-target="#backfill-panel"
          hx-swap="outerHTML"
          hx-confirm={`Set the product of ${props.plan.total} legacy accounts?`}
          disabled={!props.applyAvailable}
        >
          Apply backfill
        </button>
      )}
    </section>
  );
}

export function BackfillPage(props: {
  plan: ProductBackfillCounts | undefined;
  applyAvailable: boolean;
  csrfToken: string;
  simulator: boolean;
}) {
  return (
    <Layout title="Product backfill" section="backfill" csrfToken={props.csrfToken} simulator={props.simulator}>
      <div class="page-head">
        <h1>Product backfill</h1>
      </div>
      <p class="lede">
        Legacy accounts get the product of their item, else <code>transactions</code>. This page runs the same code as{' '}
        <code>npm run backfill:products</code>: first a dry run, then an apply that is safe to repeat.
      </p>
      {props.plan === undefined ? (
        <p class="empty">The product backfill is not available in this build.</p>
      ) : (
        <BackfillPanel plan={props.plan} applyAvailable={props.applyAvailable} />
      )}
    </Layout>
  );
}
