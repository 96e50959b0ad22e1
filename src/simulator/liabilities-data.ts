import { APRAprTypeEnum, StudentLoanStatusTypeEnum, StudentRepaymentPlanTypeEnum } from './plaid-enums.js';
import type { CreditCardLiability, LiabilitiesObject, MortgageLiability, StudentLoan } from 'plaid';
import type { SimAccount } from './accounts.js';
import { dayToDate } from './clock.js';
import { Rng, mix } from './prng.js';

export function creditLiability(account: SimAccount, itemKey: number, today: number, revision = 0): CreditCardLiability {
  const rng = new Rng(mix(itemKey, 0xcc, revision, hashId(account.account.account_id)));
  const balance = Math.round((account.account.balances.current ?? 0) * 100);
  return {
    account_id: account.account.account_id,
    aprs: [
      { apr_percentage: rng.between(1500, 2999) / 100, apr_type: APRAprTypeEnum.PurchaseApr, balance_subject_to_apr: balance / 100, interest_charge_amount: rng.between(0, 9000) / 100 },
      { apr_percentage: rng.between(2500, 2999) / 100, apr_type: APRAprTypeEnum.CashApr, balance_subject_to_apr: 0, interest_charge_amount: 0 },
    ],
    is_overdue: revision > 0 && rng.chance(0.3),
    last_payment_amount: rng.between(25_00, 1_500_00) / 100,
    last_payment_date: dayToDate(today - rng.between(3, 25)),
    last_statement_issue_date: dayToDate(today - rng.between(1, 28)),
    last_statement_balance: Math.max(0, balance - rng.between(0, 20_000)) / 100,
    minimum_payment_amount: Math.max(25_00, Math.round(balance * 0.02)) / 100,
    next_payment_due_date: dayToDate(today + rng.between(3, 27)),
  };
}

export function mortgageLiability(account: SimAccount, itemKey: number, today: number, revision = 0): MortgageLiability {
  const rng = new Rng(mix(itemKey, 0x3a, revision, hashId(account.account.account_id)));
  const principal = Math.round((account.account.balances.current ?? 0) * 100);
  return {
    account_id: account.account.account_id,
    account_number: String(rng.between(100_000_000, 999_999_999)),
    current_late_fee: revision > 0 ? rng.between(0, 150_00) / 100 : 0,
    escrow_balance: rng.between(500_00, 9_000_00) / 100,
    has_pmi: rng.chance(0.4),
    has_prepayment_penalty: rng.chance(0.1),
    interest_rate: { percentage: rng.between(275, 725) / 100, type: 'fixed' },
    last_payment_amount: rng.between(1_200_00, 5_500_00) / 100,
    last_payment_date: dayToDate(today - rng.between(3, 28)),
    loan_type_description: 'conventional',
    loan_term: '30 year',
    maturity_date: dayToDate(today + 365 * rng.between(5, 29)),
    next_monthly_payment: rng.between(1_200_00, 5_500_00) / 100,
    next_payment_due_date: dayToDate(today + rng.between(2, 28)),
    origination_date: dayToDate(today - 365 * rng.between(1, 25)),
    origination_principal_amount: Math.round(principal * 1.3) / 100,
    past_due_amount: revision > 0 ? rng.between(0, 3_000_00) / 100 : 0,
    property_address: { city: 'Malakoff', country: 'US', postal_code: '14236', region: 'NY', street: '2992 Cameron Road' },
    ytd_interest_paid: rng.between(1_000_00, 15_000_00) / 100,
    ytd_principal_paid: rng.between(1_000_00, 15_000_00) / 100,
  };
}

export function studentLoan(account: SimAccount, itemKey: number, today: number, revision = 0): StudentLoan {
  const rng = new Rng(mix(itemKey, 0x57, revision, hashId(account.account.account_id)));
  const principal = Math.round((account.account.balances.current ?? 0) * 100);
  return {
    account_id: account.account.account_id,
    account_number: String(rng.between(1_000_000, 9_999_999)),
    disbursement_dates: [dayToDate(today - 365 * 6)],
    expected_payoff_date: dayToDate(today + 365 * rng.between(2, 12)),
    guarantor: 'DEPT OF ED',
    interest_rate_percentage: rng.between(300, 850) / 100,
    is_overdue: revision > 0 && rng.chance(0.3),
    last_payment_amount: rng.between(100_00, 900_00) / 100,
    last_payment_date: dayToDate(today - rng.between(3, 28)),
    last_statement_balance: principal / 100,
    last_statement_issue_date: dayToDate(today - rng.between(1, 28)),
    loan_name: 'Consolidation',
    loan_status: { end_date: dayToDate(today + 365 * 10), type: StudentLoanStatusTypeEnum.Repayment },
    minimum_payment_amount: rng.between(50_00, 600_00) / 100,
    next_payment_due_date: dayToDate(today + rng.between(2, 28)),
    origination_date: dayToDate(today - 365 * 6),
    origination_principal_amount: Math.round(principal * 1.4) / 100,
    outstanding_interest_amount: rng.between(0, 900_00) / 100,
    payment_reference_number: String(rng.between(1_000_000_000, 1_999_999_999)),
    pslf_status: { estimated_eligibility_date: null, payments_made: rng.between(0, 100), payments_remaining: rng.between(20, 120) },
    repayment_plan: { description: 'Standard Repayment', type: StudentRepaymentPlanTypeEnum.Standard },
    sequence_number: '1',
    servicer_address: { city: 'San Matias', region: 'CA', street: '123 Relaxation Road', postal_code: '99415', country: 'US' },
    ytd_interest_paid: rng.between(0, 3_000_00) / 100,
    ytd_principal_paid: rng.between(0, 9_000_00) / 100,
  };
}

/** The liabilities of the given accounts; `revisions` counts updates per account. */
export function liabilitiesFor(accounts: readonly SimAccount[], itemKey: number, today: number, revisions: ReadonlyMap<string, number>): LiabilitiesObject {
  const credit: CreditCardLiability[] = [];
  const mortgage: MortgageLiability[] = [];
  const student: StudentLoan[] = [];
  for (const account of accounts) {
    const revision = revisions.get(account.account.account_id) ?? 0;
    if (account.kind === 'credit card') credit.push(creditLiability(account, itemKey, today, revision));
    if (account.kind === 'mortgage') mortgage.push(mortgageLiability(account, itemKey, today, revision));
    if (account.kind === 'student') student.push(studentLoan(account, itemKey, today, revision));
  }
  return { credit: credit.length ? credit : null, mortgage: mortgage.length ? mortgage : null, student: student.length ? student : null };
}

function hashId(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = mix(h, id.charCodeAt(i));
  return h;
}
