import { AccountSubtype, AccountType } from './plaid-enums.js';
import type { AccountBase, InvestmentAccount } from 'plaid';
import type { AccountKind } from './institutions.js';
import { Rng, mix, plaidId } from './prng.js';

export interface SimAccount {
  kind: AccountKind;
  /** Position in the institution's account list for the Item's products; the account's data follows from it. */
  index: number;
  account: AccountBase;
  /** Set by USER_ACCOUNT_REVOKED; the account then disappears from responses. */
  revoked: boolean;
}

interface KindSpec {
  type: AccountType;
  subtype: AccountSubtype;
  name: string;
  official: string | null;
  /** Balance range in cents. */
  current: [number, number];
  limit?: [number, number];
}

const KINDS: Record<AccountKind, KindSpec> = {
  checking: { type: AccountType.Depository, subtype: AccountSubtype.Checking, name: 'Plaid Checking', official: 'Plaid Gold Standard 0% Interest Checking', current: [50_00, 25_000_00] },
  savings: { type: AccountType.Depository, subtype: AccountSubtype.Savings, name: 'Plaid Saving', official: 'Plaid Silver Standard 0.1% Interest Saving', current: [100_00, 80_000_00] },
  'credit card': { type: AccountType.Credit, subtype: AccountSubtype.CreditCard, name: 'Plaid Credit Card', official: 'Plaid Diamond 12.5% APR Interest Credit Card', current: [0, 9_000_00], limit: [2_000_00, 20_000_00] },
  brokerage: { type: AccountType.Investment, subtype: AccountSubtype.Brokerage, name: 'Plaid Brokerage', official: 'Plaid Diamond Brokerage Account', current: [1_000_00, 500_000_00] },
  '401k': { type: AccountType.Investment, subtype: AccountSubtype._401k, name: 'Plaid 401k', official: null, current: [5_000_00, 900_000_00] },
  student: { type: AccountType.Loan, subtype: AccountSubtype.Student, name: 'Plaid Student Loan', official: 'Plaid Student Loan Servicing', current: [2_000_00, 90_000_00] },
  mortgage: { type: AccountType.Loan, subtype: AccountSubtype.Mortgage, name: 'Plaid Mortgage', official: 'Plaid 30 Year Fixed Rate Mortgage', current: [50_000_00, 900_000_00] },
};

/**
 * Masks belong to the bank account, not to the Plaid item: linking the same institution again shows
 * the same masks (as Plaid's sandbox users do), which is what smart adoption after a re-link matches on.
 */
export function maskKeyFor(seed: number, institutionId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < institutionId.length; i++) hash = Math.imul(hash ^ institutionId.charCodeAt(i), 0x01000193);
  return mix(seed, hash >>> 0, 0x3a5c);
}

export function createAccounts(itemKey: number, kinds: readonly AccountKind[], maskKey = itemKey): SimAccount[] {
  return kinds.map((kind, index) => buildAccount(itemKey, kind, index, maskKey));
}

export function buildAccount(itemKey: number, kind: AccountKind, index: number, maskKey = itemKey): SimAccount {
  const spec = KINDS[kind];
  const rng = new Rng(mix(itemKey, index, 0xacc));
  const current = rng.between(spec.current[0], spec.current[1]);
  const limit = spec.limit ? rng.between(spec.limit[0], spec.limit[1]) : null;
  let available: number | null = null;
  if (spec.type === AccountType.Depository) available = current - rng.between(0, Math.min(current, 100_00));
  if (limit !== null) available = Math.max(0, limit - current);
  if (spec.type === AccountType.Investment) available = current;
  return {
    kind,
    index,
    revoked: false,
    account: {
      account_id: plaidId(mix(itemKey, 0xacc), index),
      balances: {
        available: available === null ? null : available / 100,
        current: current / 100,
        limit: limit === null ? null : limit / 100,
        iso_currency_code: 'USD',
        unofficial_currency_code: null,
      },
      mask: String(new Rng(mix(maskKey, index)).between(0, 9999)).padStart(4, '0'),
      name: spec.name,
      official_name: spec.official,
      type: spec.type,
      subtype: spec.subtype,
      holder_category: null,
    },
  };
}

/**
 * A transaction moves its account's balances as at a bank (Plaid's sign: positive is money out):
 * a depository account holds less; a credit card or loan owes more (a payment, negative, owes less).
 * Integer cents, so repeated moves never drift.
 */
export function applyTransaction(account: SimAccount, amount: number): void {
  const cents = Math.round(amount * 100);
  const owed = account.account.type === AccountType.Credit || account.account.type === AccountType.Loan;
  const balances = account.account.balances;
  const current = Math.round((balances.current ?? 0) * 100) + (owed ? cents : -cents);
  setBalances(account, current / 100, balances.available === null || balances.available === undefined ? null : (Math.round(balances.available * 100) - cents) / 100);
}

/**
 * New balances for an account, as the bank reports them; a credit card's available credit follows
 * from its limit. `available` left undefined keeps the gap between current and available.
 */
export function setBalances(account: SimAccount, current: number, available?: number | null): void {
  const balances = account.account.balances;
  const limit = balances.limit ?? null;
  let next = available;
  if (next === undefined) {
    const gap = balances.available === null || balances.available === undefined || balances.current === null ? null : balances.available - balances.current;
    next = gap === null ? null : Math.round((current + gap) * 100) / 100;
  }
  if (account.account.type === AccountType.Credit && limit !== null) next = Math.max(0, Math.round((limit - current) * 100) / 100);
  account.account.balances = { ...balances, current, available: next };
}

/** Accounts that carry transactions in /transactions/sync (depository, credit, student loans). */
export function isTransactionAccount(kind: AccountKind): boolean {
  return kind === 'checking' || kind === 'savings' || kind === 'credit card' || kind === 'student';
}

export function isInvestmentAccount(kind: AccountKind): boolean {
  return kind === 'brokerage' || kind === '401k';
}

export function isLiabilityAccount(kind: AccountKind): boolean {
  return kind === 'credit card' || kind === 'student' || kind === 'mortgage';
}

export function toInvestmentAccount(account: AccountBase): InvestmentAccount {
  const { verification_status: _unused, verification_insights: _insights, ...rest } = account;
  return { ...rest, balances: { ...account.balances, margin_loan_amount: null } };
}
