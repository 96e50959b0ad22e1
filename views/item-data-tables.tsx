import type { HoldingLine, ItemData, LiabilityLine, TransactionLine } from '../src/admin/item-data-query.js';
import { formatMoney, formatQuantity } from './format.js';

function TransactionsTable(props: { rows: TransactionLine[] }) {
  if (props.rows.length === 0) return <p class="empty">No transactions stored.</p>;
  return (
    <div class="table-scroll">
      <table class="data-table" data-table="transactions">
        <thead>
          <tr>
            <th>Date</th>
            <th>Name</th>
            <th>Account</th>
            <th class="num">Amount</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr data-pending={row.pending ? 'true' : 'false'}>
              <td class="mono">{row.date}</td>
              <td>
                {row.merchantName ?? row.name}
                {row.pending && <span class="chip">pending</span>}
              </td>
              <td>{row.accountName}</td>
              <td class="num mono" data-amount={row.amount}>
                {formatMoney(row.amount, row.currency)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function HoldingsTable(props: { rows: HoldingLine[] }) {
  if (props.rows.length === 0) return <p class="empty">No holdings stored.</p>;
  return (
    <div class="table-scroll">
      <table class="data-table" data-table="holdings">
        <thead>
          <tr>
            <th>Security</th>
            <th>Account</th>
            <th class="num">Quantity</th>
            <th class="num">Value</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr>
              <td>
                {row.security}
                {row.ticker !== null && <span class="sub mono">{row.ticker}</span>}
              </td>
              <td>{row.accountName}</td>
              <td class="num mono">{formatQuantity(row.quantity)}</td>
              <td class="num mono">{formatMoney(row.value, row.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function LiabilitiesTable(props: { rows: LiabilityLine[] }) {
  if (props.rows.length === 0) return <p class="empty">No liabilities stored.</p>;
  return (
    <div class="table-scroll">
      <table class="data-table" data-table="liabilities">
        <thead>
          <tr>
            <th>Account</th>
            <th>Kind</th>
            <th class="num">Balance</th>
            <th class="num">Next payment</th>
            <th>Due</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr>
              <td>{row.accountName}</td>
              <td>{row.kind}</td>
              <td class="num mono">{formatMoney(row.balance, row.currency)}</td>
              <td class="num mono">{formatMoney(row.minimumPayment, row.currency)}</td>
              <td class="mono">{row.nextPaymentDue ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * What the item's accounts hold, newest first and bounded: the products' data as the app reads it.
 * A product's panel shows when the item has the product or data of it (a product dropped later).
 */
export function ItemDataPanels(props: { data: ItemData; limit: number; products: readonly string[] }) {
  const { data } = props;
  const has = (product: string, rows: unknown[]) => rows.length > 0 || props.products.includes(product);
  return (
    <>
      {has('transactions', data.transactions) && (
        <section class="panel" id="item-transactions">
          <h2>Recent transactions{data.transactions.length >= props.limit ? ` (latest ${props.limit})` : ''}</h2>
          <TransactionsTable rows={data.transactions} />
        </section>
      )}
      {has('investments', data.holdings) && (
        <section class="panel" id="item-holdings">
          <h2>Holdings</h2>
          <HoldingsTable rows={data.holdings} />
        </section>
      )}
      {has('liabilities', data.liabilities) && (
        <section class="panel" id="item-liabilities">
          <h2>Liabilities</h2>
          <LiabilitiesTable rows={data.liabilities} />
        </section>
      )}
    </>
  );
}
