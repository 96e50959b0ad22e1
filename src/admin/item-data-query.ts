import type { Sql } from '../db/client.js';

/** How many rows of each kind the item page shows: enough to see that data arrives, bounded for any item. */
export const ITEM_DATA_LIMIT = 25;

export interface TransactionLine {
  id: string;
  date: string;
  name: string;
  merchantName: string | null;
  accountName: string;
  amount: string;
  currency: string | null;
  pending: boolean;
}

export interface HoldingLine {
  accountName: string;
  security: string;
  ticker: string | null;
  quantity: string;
  value: string;
  currency: string | null;
}

export interface LiabilityLine {
  accountName: string;
  kind: string;
  /** The account's current balance; numeric text, never a float. */
  balance: string | null;
  /** From Plaid's detail object: the minimum payment (credit, student) or the next monthly payment (mortgage). */
  minimumPayment: string | null;
  nextPaymentDue: string | null;
  currency: string | null;
}

export interface ItemData {
  transactions: TransactionLine[];
  holdings: HoldingLine[];
  liabilities: LiabilityLine[];
}

/**
 * The newest transactions of an item's accounts: each account's newest few through its (date, id)
 * index, then the newest of those, so the cost follows the account count, not the history's size.
 */
function recentTransactions(sql: Sql, itemId: string) {
  return sql<TransactionLine[]>`
    select t.plaid_transaction_id as id, t.date::text as date, t.name, t.merchant_name as "merchantName",
      a.name as "accountName", t.amount::text as amount,
      coalesce(t.iso_currency_code, t.unofficial_currency_code) as currency, t.pending
    from plaid_accounts a
    cross join lateral (
      select * from plaid_transactions t
      where t.account_id = a.id
      order by t.date desc, t.plaid_transaction_id desc
      limit ${ITEM_DATA_LIMIT}
    ) t
    where a.item_id = ${itemId}
    order by t.date desc, t.plaid_transaction_id desc
    limit ${ITEM_DATA_LIMIT}`;
}

function holdings(sql: Sql, itemId: string) {
  return sql<HoldingLine[]>`
    select a.name as "accountName", coalesce(s.name, h.security_id) as security, s.ticker_symbol as ticker,
      h.quantity::text as quantity, h.institution_value::text as value,
      coalesce(h.iso_currency_code, h.unofficial_currency_code) as currency
    from investment_holdings h
    join plaid_accounts a on a.id = h.account_id
    left join securities s on s.security_id = h.security_id
    where h.item_id = ${itemId}
    order by h.institution_value desc, h.security_id
    limit ${ITEM_DATA_LIMIT}`;
}

/** Plaid's detail object names the same facts differently per kind; the page shows those every kind has. */
function liabilities(sql: Sql, itemId: string) {
  return sql<LiabilityLine[]>`
    select a.name as "accountName", l.kind,
      a.balance_current::text as balance,
      coalesce(l.detail->>'minimum_payment_amount', l.detail->>'next_monthly_payment') as "minimumPayment",
      l.detail->>'next_payment_due_date' as "nextPaymentDue",
      coalesce(a.iso_currency_code, a.unofficial_currency_code) as currency
    from liabilities l
    join plaid_accounts a on a.id = l.account_id
    where l.item_id = ${itemId}
    order by a.name, l.account_id
    limit ${ITEM_DATA_LIMIT}`;
}

export async function itemData(sql: Sql, itemId: string): Promise<ItemData> {
  const [transactions, held, owed] = await Promise.all([recentTransactions(sql, itemId), holdings(sql, itemId), liabilities(sql, itemId)]);
  return { transactions: [...transactions], holdings: [...held], liabilities: [...owed] };
}
