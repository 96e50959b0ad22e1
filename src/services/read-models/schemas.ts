/**
 * The API shape of every record the service stores, as zod schemas that also describe it in
 * `/api/openapi.json`. Every endpoint that returns a record returns exactly these shapes.
 */
import { z } from '@hono/zod-openapi';
import { ACCOUNT_STATUSES, ITEM_STATUSES, PRODUCT_WAIT_STATES, PRODUCTS, type Product } from '../../db/schema/products.js';

export const ProductSchema = z.enum(PRODUCTS).openapi('Product', { example: 'transactions' });

const timestamp = z.string().openapi({ format: 'date-time' });
const day = z.string().openapi({ format: 'date', example: '2026-01-31' });
const decimal = z.string().openapi({ description: 'An exact decimal number, as a string', example: '1234.56' });

export const SettingsSchema = z
  .object({
    nickname: z.string().nullable(),
    notes: z.string().nullable(),
    payment_status: z.string().nullable(),
  })
  .openapi('AccountSettings');

export const AccountSchema = z
  .object({
    id: z.uuid(),
    item_id: z.uuid(),
    plaid_account_id: z.string(),
    product: ProductSchema,
    status: z.enum(ACCOUNT_STATUSES),
    replaced_by: z.uuid().nullable(),
    name: z.string(),
    official_name: z.string().nullable(),
    mask: z.string().nullable(),
    type: z.string(),
    subtype: z.string().nullable(),
    balances: z.object({
      available: decimal.nullable(),
      current: decimal.nullable(),
      limit: decimal.nullable(),
      iso_currency_code: z.string().nullable(),
      unofficial_currency_code: z.string().nullable(),
      updated_at: z.iso.datetime().nullable(),
    }),
    settings: SettingsSchema,
  })
  .openapi('Account');

/** A product's standing on an item, as the API shows it (see `PRODUCT_WAIT_STATES`). */
export const PRODUCT_SYNC_STATES = ['ok', 'unsupported', ...PRODUCT_WAIT_STATES] as const;

export const ProductSyncStateSchema = z
  .object({
    enabled: z.boolean().openapi({ description: 'The service syncs this product for the item (the item is entitled to it, Plaid supports it, the item is not disconnected)' }),
    in_progress: z.boolean().openapi({ description: 'A sync of this product is running now' }),
    state: z.enum(PRODUCT_SYNC_STATES).openapi({
      description:
        '`ok`; `unsupported` (Plaid does not offer it for the item), `no_accounts` (the item has no accounts of it), ' +
        '`consent_required` (the user did not consent to it at Link, or did not grant the permission it needs) or `not_ready` (Plaid is still extracting it): ' +
        'in those states the hourly check does not call Plaid for it; a webhook or an explicit sync tries again',
    }),
    state_code: z.string().nullable().openapi({ description: 'The Plaid error code behind a state other than `ok`' }),
    last_succeeded_at: timestamp.nullable().openapi({ description: 'When the last successful sync finished; null if none has' }),
    last_error: z
      .object({ code: z.string(), message: z.string().nullable(), at: timestamp })
      .nullable()
      .openapi({ description: 'The newest failed sync; older than `last_succeeded_at` means it has been overcome' }),
  })
  .openapi('ProductSyncState');

export const ItemSchema = z
  .object({
    id: z.uuid(),
    plaid_item_id: z.string(),
    institution_id: z.string().nullable(),
    institution_name: z.string().nullable(),
    product: ProductSchema.nullable(),
    products: z.array(ProductSchema).openapi({
      description: "What Plaid lists on the item (`/item/get` `products`), kept to the products the service syncs, sorted; refreshed by the exchange, update mode and the hourly status check",
    }),
    entitled_products: z.array(ProductSchema).openapi({
      description: 'The products the service may call for the item: linked for, or confirmed by Plaid (optional, required-if-supported, additional consented), or enabled later on purpose. Accounts of other products are stored and shown but never synced.',
    }),
    status: z.enum(ITEM_STATUSES),
    action: z.enum(['fix', 'relink', 'none']).openapi({ description: '`fix` (update mode) for needs_reauth, `relink` for disconnected' }),
    error_code: z.string().nullable(),
    new_accounts_available: z.boolean().openapi({ description: 'Plaid has accounts the user has not shared yet: offer Link in update mode with account selection' }),
    consent_expires_at: timestamp.nullable(),
    pending_disconnect_at: timestamp.nullable().openapi({ description: 'When Plaid will disconnect the item (PENDING_DISCONNECT)' }),
    consent_expiring: z.boolean().openapi({
      description: 'Consent ends within 7 days or Plaid announced a disconnect: offer Link in update mode before it happens',
    }),
    sync: z
      .object(Object.fromEntries(PRODUCTS.map((product) => [product, ProductSyncStateSchema])) as Record<Product, typeof ProductSyncStateSchema>)
      .openapi({ description: 'Per product: whether it is synced and how its last runs went' }),
    created_at: timestamp,
    updated_at: timestamp,
    disconnected_at: timestamp.nullable(),
  })
  .openapi('Item');

export const ItemWithAccountsSchema = ItemSchema.extend({ accounts: z.array(AccountSchema) }).openapi('ItemWithAccounts');

export const TransactionSchema = z
  .object({
    id: z.string().openapi({ description: 'Plaid’s transaction id' }),
    account_id: z.uuid(),
    date: day,
    authorized_date: day.nullable(),
    name: z.string(),
    merchant_name: z.string().nullable(),
    amount: z.string().openapi({ description: 'Exact decimal as a string; positive is money out (Plaid’s convention)', example: '42.50' }),
    iso_currency_code: z.string().nullable(),
    unofficial_currency_code: z.string().nullable(),
    pending: z.boolean(),
    pending_transaction_id: z.string().nullable(),
    category_primary: z.string().nullable(),
    category_detailed: z.string().nullable(),
    payment_channel: z.string().nullable(),
  })
  .openapi('Transaction');

export const SecuritySchema = z
  .object({
    id: z.string().openapi({ description: 'Plaid’s security id' }),
    name: z.string().nullable(),
    ticker_symbol: z.string().nullable(),
    type: z.string().nullable().openapi({ example: 'equity' }),
    subtype: z.string().nullable(),
    close_price: decimal.nullable(),
    close_price_as_of: day.nullable(),
    iso_currency_code: z.string().nullable(),
    unofficial_currency_code: z.string().nullable(),
    cusip: z.string().nullable(),
    isin: z.string().nullable(),
    is_cash_equivalent: z.boolean().nullable(),
    updated_at: timestamp,
  })
  .openapi('Security');

export const HoldingSchema = z
  .object({
    account_id: z.uuid(),
    security_id: z.string(),
    quantity: decimal,
    institution_price: decimal,
    institution_price_as_of: day.nullable(),
    institution_value: decimal,
    cost_basis: decimal.nullable(),
    iso_currency_code: z.string().nullable(),
    unofficial_currency_code: z.string().nullable(),
    updated_at: timestamp,
    security: SecuritySchema,
  })
  .openapi('Holding');

export const InvestmentTransactionSchema = z
  .object({
    id: z.string().openapi({ description: 'Plaid’s investment transaction id' }),
    account_id: z.uuid(),
    security_id: z.string().nullable(),
    date: day,
    name: z.string(),
    quantity: decimal,
    amount: decimal.openapi({ description: 'Positive when cash leaves the account (a buy), negative when it comes in (a sale)' }),
    price: decimal,
    fees: decimal.nullable(),
    type: z.string().openapi({ example: 'buy' }),
    subtype: z.string().nullable(),
    iso_currency_code: z.string().nullable(),
    unofficial_currency_code: z.string().nullable(),
  })
  .openapi('InvestmentTransaction');

const AprSchema = z
  .object({
    apr_percentage: decimal,
    apr_type: z.string().openapi({ example: 'purchase_apr' }),
    balance_subject_to_apr: decimal.nullable(),
    interest_charge_amount: decimal.nullable(),
  })
  .openapi('Apr');

const AddressSchema = z
  .object({ street: z.string().nullable(), city: z.string().nullable(), region: z.string().nullable(), postal_code: z.string().nullable(), country: z.string().nullable() })
  .openapi('Address');

export const CreditLiabilitySchema = z
  .object({
    aprs: z.array(AprSchema),
    is_overdue: z.boolean().nullable(),
    last_payment_amount: decimal.nullable(),
    last_payment_date: day.nullable(),
    last_statement_balance: decimal.nullable(),
    last_statement_issue_date: day.nullable(),
    minimum_payment_amount: decimal.nullable(),
    next_payment_due_date: day.nullable(),
  })
  .openapi('CreditLiability');

export const MortgageLiabilitySchema = z
  .object({
    loan_type_description: z.string().nullable(),
    loan_term: z.string().nullable(),
    interest_rate: z.object({ percentage: decimal.nullable(), type: z.string().nullable() }),
    origination_date: day.nullable(),
    origination_principal_amount: decimal.nullable(),
    maturity_date: day.nullable(),
    next_monthly_payment: decimal.nullable(),
    next_payment_due_date: day.nullable(),
    last_payment_amount: decimal.nullable(),
    last_payment_date: day.nullable(),
    past_due_amount: decimal.nullable(),
    current_late_fee: decimal.nullable(),
    escrow_balance: decimal.nullable(),
    has_pmi: z.boolean().nullable(),
    has_prepayment_penalty: z.boolean().nullable(),
    ytd_interest_paid: decimal.nullable(),
    ytd_principal_paid: decimal.nullable(),
    property_address: AddressSchema,
  })
  .openapi('MortgageLiability');

export const StudentLoanLiabilitySchema = z
  .object({
    loan_name: z.string().nullable(),
    guarantor: z.string().nullable(),
    sequence_number: z.string().nullable(),
    interest_rate_percentage: decimal.nullable(),
    loan_status: z.object({ type: z.string().nullable(), end_date: day.nullable() }),
    repayment_plan: z.object({ type: z.string().nullable(), description: z.string().nullable() }),
    disbursement_dates: z.array(day),
    origination_date: day.nullable(),
    origination_principal_amount: decimal.nullable(),
    expected_payoff_date: day.nullable(),
    is_overdue: z.boolean().nullable(),
    last_payment_amount: decimal.nullable(),
    last_payment_date: day.nullable(),
    last_statement_balance: decimal.nullable(),
    last_statement_issue_date: day.nullable(),
    minimum_payment_amount: decimal.nullable(),
    next_payment_due_date: day.nullable(),
    outstanding_interest_amount: decimal.nullable(),
    ytd_interest_paid: decimal.nullable(),
    ytd_principal_paid: decimal.nullable(),
    pslf_status: z.object({
      estimated_eligibility_date: day.nullable(),
      payments_made: z.number().int().nullable(),
      payments_remaining: z.number().int().nullable(),
    }),
    servicer_address: AddressSchema,
  })
  .openapi('StudentLoanLiability');

export const LiabilitySchema = z
  .object({
    account_id: z.uuid().openapi({ description: 'A liability is one per account: the account’s id is its id' }),
    kind: z.enum(['credit', 'mortgage', 'student']),
    credit: CreditLiabilitySchema.nullable().openapi({ description: 'Set when `kind` is credit' }),
    mortgage: MortgageLiabilitySchema.nullable().openapi({ description: 'Set when `kind` is mortgage' }),
    student: StudentLoanLiabilitySchema.nullable().openapi({ description: 'Set when `kind` is student' }),
    updated_at: timestamp,
  })
  .openapi('Liability');

export type AccountRecord = z.infer<typeof AccountSchema>;
export type AccountSettings = z.infer<typeof SettingsSchema>;
export type ProductSyncState = z.infer<typeof ProductSyncStateSchema>;
export type ItemRecord = z.infer<typeof ItemSchema>;
export type TransactionRecord = z.infer<typeof TransactionSchema>;
export type SecurityRecord = z.infer<typeof SecuritySchema>;
export type HoldingRecord = z.infer<typeof HoldingSchema>;
export type InvestmentTransactionRecord = z.infer<typeof InvestmentTransactionSchema>;
export type LiabilityRecord = z.infer<typeof LiabilitySchema>;
