import type { Sql } from '../../src/db/client.js';
import type { SimulatorControl } from '../../src/simulator/index.js';

/** What the database holds for an item compared with the simulator's truth, per kind of record. */
export interface TruthDiff {
  missing: number;
  extra: number;
  duplicated: number;
  /** Present on both sides with different content (amount, date, pending, quantity). */
  changed: number;
}

export interface TruthReport {
  transactions: TruthDiff;
  accounts: TruthDiff;
  holdings: TruthDiff;
  /** Records compared, for the printed figures. */
  compared: { transactions: number; accounts: number; holdings: number };
}

export interface ComparedItem {
  id: string;
  plaidItemId: string;
  products: readonly string[];
}

function diff(stored: [string, string][], truth: Map<string, string>): TruthDiff {
  const seen = new Map<string, number>();
  const result: TruthDiff = { missing: 0, extra: 0, duplicated: 0, changed: 0 };
  for (const [key, value] of stored) {
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (count > 1) result.duplicated++;
    else if (!truth.has(key)) result.extra++;
    else if (truth.get(key) !== value) result.changed++;
  }
  for (const key of truth.keys()) if (!seen.has(key)) result.missing++;
  return result;
}

function add(total: TruthDiff, part: TruthDiff): void {
  total.missing += part.missing;
  total.extra += part.extra;
  total.duplicated += part.duplicated;
  total.changed += part.changed;
}

const empty = (): TruthDiff => ({ missing: 0, extra: 0, duplicated: 0, changed: 0 });

/**
 * Compares every item's transactions, accounts and holdings with `control.truth`,
 * `accountsTruth` and `holdingsTruth`: the figures the crash and fault tests print and assert.
 * Accounts are compared for the products the item syncs (the simulator lists all it has).
 */
export async function compareWithTruth(sql: Sql, control: SimulatorControl, items: readonly ComparedItem[]): Promise<TruthReport> {
  const report: TruthReport = {
    transactions: empty(), accounts: empty(), holdings: empty(), compared: { transactions: 0, accounts: 0, holdings: 0 },
  };
  for (const item of items) {
    if (item.products.includes('transactions')) {
      const rows = await sql<{ id: string; value: string }[]>`
        select plaid_transaction_id as id, amount::float8::text || '|' || date::text || '|' || pending::text as value
        from plaid_transactions where item_id = ${item.id}`;
      const truth = new Map([...control.truth(item.plaidItemId)].map((t) => [t.transaction_id, `${t.amount}|${t.date}|${t.pending}`]));
      add(report.transactions, diff(rows.map((row) => [row.id, row.value]), truth));
      report.compared.transactions += truth.size;
    }
    if (item.products.includes('investments')) {
      const rows = await sql<{ id: string; value: string }[]>`
        select a.plaid_account_id || '/' || h.security_id as id, h.quantity::float8::text as value
        from investment_holdings h join plaid_accounts a on a.id = h.account_id where h.item_id = ${item.id}`;
      const { holdings } = control.holdingsTruth(item.plaidItemId);
      const truth = new Map(holdings.map((h) => [`${h.account_id}/${h.security_id}`, String(h.quantity)]));
      add(report.holdings, diff(rows.map((row) => [row.id, row.value]), truth));
      report.compared.holdings += truth.size;
    }
    const synced = new Set(item.products);
    const accounts = await sql<{ id: string; product: string }[]>`
      select plaid_account_id as id, product from plaid_accounts where item_id = ${item.id}`;
    const truthAccounts = control.accountsTruth(item.plaidItemId).filter((account) => {
      const type = String(account.type);
      const product = type === 'investment' ? 'investments' : type === 'loan' ? 'liabilities' : 'transactions';
      return synced.has(product) || (type === 'credit' && synced.has('liabilities'));
    });
    const truth = new Map(truthAccounts.map((account) => [account.account_id, 'present']));
    add(report.accounts, diff(accounts.map((row) => [row.id, 'present']), truth));
    report.compared.accounts += truth.size;
  }
  return report;
}

/** True when nothing is missing, extra, duplicated or different. */
export function matchesEverywhere(report: TruthReport): boolean {
  return [report.transactions, report.accounts, report.holdings].every((d) => d.missing + d.extra + d.duplicated + d.changed === 0);
}
