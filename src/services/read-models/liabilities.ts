/**
 * Liabilities as the app reads them. Plaid's detail object is stored whole (jsonb); here it is
 * shaped per kind: money as decimal strings, account and payment reference numbers left out (the
 * account's `mask` is what the app shows; full numbers stay with Plaid).
 */
import type { CreditCardLiability, MortgageLiability, StudentLoan } from 'plaid';
import { and, eq, inArray } from 'drizzle-orm';
import { liabilities, plaidAccounts } from '../../db/schema/index.js';
import type { Executor } from '../item-status.js';
import type { LiabilityRecord } from './schemas.js';

type LiabilityRow = typeof liabilities.$inferSelect;

// jsonb keeps the number Plaid sent; String() gives back that same decimal text (no arithmetic on it).
const money = (value: number | null | undefined) => (value === null || value === undefined ? null : String(value));
const text = (value: string | null | undefined) => value ?? null;

interface Address {
  street?: string | null;
  city?: string | null;
  region?: string | null;
  postal_code?: string | null;
  country?: string | null;
}

const address = (a: Address | null | undefined) => ({
  street: text(a?.street),
  city: text(a?.city),
  region: text(a?.region),
  postal_code: text(a?.postal_code),
  country: text(a?.country),
});

function credit(d: Partial<CreditCardLiability>) {
  return {
    aprs: (d.aprs ?? []).map((apr) => ({
      apr_percentage: String(apr.apr_percentage),
      apr_type: String(apr.apr_type),
      balance_subject_to_apr: money(apr.balance_subject_to_apr),
      interest_charge_amount: money(apr.interest_charge_amount),
    })),
    is_overdue: d.is_overdue ?? null,
    last_payment_amount: money(d.last_payment_amount),
    last_payment_date: text(d.last_payment_date),
    last_statement_balance: money(d.last_statement_balance),
    last_statement_issue_date: text(d.last_statement_issue_date),
    minimum_payment_amount: money(d.minimum_payment_amount),
    next_payment_due_date: text(d.next_payment_due_date),
  };
}

function mortgage(d: Partial<MortgageLiability>) {
  return {
    loan_type_description: text(d.loan_type_description),
    loan_term: text(d.loan_term),
    interest_rate: { percentage: money(d.interest_rate?.percentage), type: text(d.interest_rate?.type) },
    origination_date: text(d.origination_date),
    origination_principal_amount: money(d.origination_principal_amount),
    maturity_date: text(d.maturity_date),
    next_monthly_payment: money(d.next_monthly_payment),
    next_payment_due_date: text(d.next_payment_due_date),
    last_payment_amount: money(d.last_payment_amount),
    last_payment_date: text(d.last_payment_date),
    past_due_amount: money(d.past_due_amount),
    current_late_fee: money(d.current_late_fee),
    escrow_balance: money(d.escrow_balance),
    has_pmi: d.has_pmi ?? null,
    has_prepayment_penalty: d.has_prepayment_penalty ?? null,
    ytd_interest_paid: money(d.ytd_interest_paid),
    ytd_principal_paid: money(d.ytd_principal_paid),
    property_address: address(d.property_address),
  };
}

function student(d: Partial<StudentLoan>) {
  return {
    loan_name: text(d.loan_name),
    guarantor: text(d.guarantor),
    sequence_number: text(d.sequence_number),
    interest_rate_percentage: money(d.interest_rate_percentage),
    loan_status: { type: d.loan_status?.type === undefined ? null : String(d.loan_status.type), end_date: text(d.loan_status?.end_date) },
    repayment_plan: {
      type: d.repayment_plan?.type === undefined ? null : String(d.repayment_plan.type),
      description: text(d.repayment_plan?.description),
    },
    disbursement_dates: d.disbursement_dates ?? [],
    origination_date: text(d.origination_date),
    origination_principal_amount: money(d.origination_principal_amount),
    expected_payoff_date: text(d.expected_payoff_date),
    is_overdue: d.is_overdue ?? null,
    last_payment_amount: money(d.last_payment_amount),
    last_payment_date: text(d.last_payment_date),
    last_statement_balance: money(d.last_statement_balance),
    last_statement_issue_date: text(d.last_statement_issue_date),
    minimum_payment_amount: money(d.minimum_payment_amount),
    next_payment_due_date: text(d.next_payment_due_date),
    outstanding_interest_amount: money(d.outstanding_interest_amount),
    ytd_interest_paid: money(d.ytd_interest_paid),
    ytd_principal_paid: money(d.ytd_principal_paid),
    pslf_status: {
      estimated_eligibility_date: text(d.pslf_status?.estimated_eligibility_date),
      payments_made: d.pslf_status?.payments_made ?? null,
      payments_remaining: d.pslf_status?.payments_remaining ?? null,
    },
    servicer_address: address(d.servicer_address),
  };
}

export function liabilityRecord(row: LiabilityRow): LiabilityRecord {
  const detail = row.detail as object;
  return {
    account_id: row.accountId,
    kind: row.kind,
    credit: row.kind === 'credit' ? credit(detail) : null,
    mortgage: row.kind === 'mortgage' ? mortgage(detail) : null,
    student: row.kind === 'student' ? student(detail) : null,
    updated_at: row.updatedAt.toISOString(),
  };
}

/** The user's liabilities for the accounts among `ids` (a liability's id is its account's), in one query. */
export async function loadLiabilities(db: Executor, input: { userId: string; ids: readonly string[] }): Promise<LiabilityRecord[]> {
  if (input.ids.length === 0) return [];
  const rows = await db
    .select({ liability: liabilities })
    .from(liabilities)
    .innerJoin(plaidAccounts, eq(plaidAccounts.id, liabilities.accountId))
    .where(and(eq(plaidAccounts.userId, input.userId), inArray(liabilities.accountId, [...input.ids])));
  return rows.map((row) => liabilityRecord(row.liability));
}
