/**
 * Runtime copies of the `plaid` SDK enums the simulator uses. Importing the SDK at runtime costs about
 * 66 MB of resident memory (its generated client is ~10 MB of JavaScript), which the simulator cannot
 * afford; these copies are typed as the SDK's own enums and every value is checked against the SDK's,
 * so an SDK upgrade that changes one fails to compile. Enums used to validate requests are copied whole.
 */
import type {
  APRAprTypeEnum as APRAprTypeEnumSdk,
  AccountSubtype as AccountSubtypeSdk,
  AccountType as AccountTypeSdk,
  CountryCode as CountryCodeSdk,
  InvestmentTransactionSubtype as InvestmentTransactionSubtypeSdk,
  InvestmentTransactionType as InvestmentTransactionTypeSdk,
  ItemRemoveReasonCode as ItemRemoveReasonCodeSdk,
  ItemUpdateTypeEnum as ItemUpdateTypeEnumSdk,
  ItemWithConsentFieldsUpdateTypeEnum as ItemWithConsentFieldsUpdateTypeEnumSdk,
  PendingDisconnectWebhookReason as PendingDisconnectWebhookReasonSdk,
  PersonalFinanceCategoryVersion as PersonalFinanceCategoryVersionSdk,
  PlaidErrorType as PlaidErrorTypeSdk,
  Products as ProductsSdk,
  SandboxItemFireWebhookRequestWebhookCodeEnum as SandboxItemFireWebhookRequestWebhookCodeEnumSdk,
  StudentLoanStatusTypeEnum as StudentLoanStatusTypeEnumSdk,
  StudentRepaymentPlanTypeEnum as StudentRepaymentPlanTypeEnumSdk,
  TransactionPaymentChannelEnum as TransactionPaymentChannelEnumSdk,
  TransactionsUpdateStatus as TransactionsUpdateStatusSdk,
  WebhookEnvironmentValues as WebhookEnvironmentValuesSdk,
  WebhookType as WebhookTypeSdk,
} from 'plaid';

type Values<E, K extends keyof E> = { readonly [P in K]: `${E[P] & string}` };

/** The whole enum: the object must list every member of the SDK's enum with its value. */
function all<E>(values: Values<E, keyof E>): E {
  return values as unknown as E;
}

/** Some members of the enum, each checked against the SDK's value. */
function some<E>() {
  return <K extends keyof E>(values: Values<E, K>): Pick<E, K> => values as unknown as Pick<E, K>;
}

export const Products = all<typeof ProductsSdk>({
  Assets: 'assets',
  Auth: 'auth',
  Balance: 'balance',
  BalancePlus: 'balance_plus',
  Beacon: 'beacon',
  Identity: 'identity',
  IdentityMatch: 'identity_match',
  Investments: 'investments',
  InvestmentsAuth: 'investments_auth',
  Liabilities: 'liabilities',
  PaymentInitiation: 'payment_initiation',
  IdentityVerification: 'identity_verification',
  Transactions: 'transactions',
  CreditDetails: 'credit_details',
  Income: 'income',
  IncomeVerification: 'income_verification',
  StandingOrders: 'standing_orders',
  Transfer: 'transfer',
  Employment: 'employment',
  RecurringTransactions: 'recurring_transactions',
  TransactionsRefresh: 'transactions_refresh',
  Signal: 'signal',
  Statements: 'statements',
  ProcessorPayments: 'processor_payments',
  ProcessorIdentity: 'processor_identity',
  Profile: 'profile',
  CraBaseReport: 'cra_base_report',
  CraIncomeInsights: 'cra_income_insights',
  CraPartnerInsights: 'cra_partner_insights',
  CraNetworkInsights: 'cra_network_insights',
  CraCashflowInsights: 'cra_cashflow_insights',
  CraMonitoring: 'cra_monitoring',
  CraLendScore: 'cra_lend_score',
  CraPlaidCreditScore: 'cra_plaid_credit_score',
  CraQualify: 'cra_qualify',
  CraHomeLending: 'cra_home_lending',
  Layer: 'layer',
  PayByBank: 'pay_by_bank',
  ProtectLinkedBank: 'protect_linked_bank',
  ProtectTransactions: 'protect_transactions',
});
export type Products = ProductsSdk;

export const CountryCode = all<typeof CountryCodeSdk>({
  Us: 'US',
  Gb: 'GB',
  Es: 'ES',
  Nl: 'NL',
  Fr: 'FR',
  Ie: 'IE',
  Ca: 'CA',
  De: 'DE',
  It: 'IT',
  Pl: 'PL',
  Dk: 'DK',
  No: 'NO',
  Se: 'SE',
  Ee: 'EE',
  Lt: 'LT',
  Lv: 'LV',
  Pt: 'PT',
  Be: 'BE',
  At: 'AT',
  Fi: 'FI',
});
export type CountryCode = CountryCodeSdk;

export const WebhookType = all<typeof WebhookTypeSdk>({
  Auth: 'AUTH',
  Holdings: 'HOLDINGS',
  InvestmentsTransactions: 'INVESTMENTS_TRANSACTIONS',
  Item: 'ITEM',
  Liabilities: 'LIABILITIES',
  Transactions: 'TRANSACTIONS',
  Assets: 'ASSETS',
});
export type WebhookType = WebhookTypeSdk;

export const SandboxItemFireWebhookRequestWebhookCodeEnum = all<typeof SandboxItemFireWebhookRequestWebhookCodeEnumSdk>({
  DefaultUpdate: 'DEFAULT_UPDATE',
  NewAccountsAvailable: 'NEW_ACCOUNTS_AVAILABLE',
  SmsMicrodepositsVerification: 'SMS_MICRODEPOSITS_VERIFICATION',
  AuthorizationGranted: 'AUTHORIZATION_GRANTED',
  UserPermissionRevoked: 'USER_PERMISSION_REVOKED',
  UserAccountRevoked: 'USER_ACCOUNT_REVOKED',
  PendingDisconnect: 'PENDING_DISCONNECT',
  RecurringTransactionsUpdate: 'RECURRING_TRANSACTIONS_UPDATE',
  LoginRepaired: 'LOGIN_REPAIRED',
  SyncUpdatesAvailable: 'SYNC_UPDATES_AVAILABLE',
  ProductReady: 'PRODUCT_READY',
  Error: 'ERROR',
});
export type SandboxItemFireWebhookRequestWebhookCodeEnum = SandboxItemFireWebhookRequestWebhookCodeEnumSdk;

export const ItemRemoveReasonCode = all<typeof ItemRemoveReasonCodeSdk>({
  FraudFirstParty: 'FRAUD_FIRST_PARTY',
  FraudFalseIdentity: 'FRAUD_FALSE_IDENTITY',
  FraudAbuse: 'FRAUD_ABUSE',
  FraudOther: 'FRAUD_OTHER',
  ConnectionIsNonFunctional: 'CONNECTION_IS_NON_FUNCTIONAL',
  Other: 'OTHER',
});
export type ItemRemoveReasonCode = ItemRemoveReasonCodeSdk;

export const PendingDisconnectWebhookReason = all<typeof PendingDisconnectWebhookReasonSdk>({
  Migration: 'INSTITUTION_MIGRATION',
  TokenExpiration: 'INSTITUTION_TOKEN_EXPIRATION',
});
export type PendingDisconnectWebhookReason = PendingDisconnectWebhookReasonSdk;

export const TransactionPaymentChannelEnum = all<typeof TransactionPaymentChannelEnumSdk>({
  Online: 'online',
  InStore: 'in store',
  Other: 'other',
});
export type TransactionPaymentChannelEnum = TransactionPaymentChannelEnumSdk;

export const WebhookEnvironmentValues = all<typeof WebhookEnvironmentValuesSdk>({
  Sandbox: 'sandbox',
  Production: 'production',
});
export type WebhookEnvironmentValues = WebhookEnvironmentValuesSdk;

export const TransactionsUpdateStatus = all<typeof TransactionsUpdateStatusSdk>({
  TransactionsUpdateStatusUnknown: 'TRANSACTIONS_UPDATE_STATUS_UNKNOWN',
  NotReady: 'NOT_READY',
  InitialUpdateComplete: 'INITIAL_UPDATE_COMPLETE',
  HistoricalUpdateComplete: 'HISTORICAL_UPDATE_COMPLETE',
});
export type TransactionsUpdateStatus = TransactionsUpdateStatusSdk;

export const AccountType = some<typeof AccountTypeSdk>()({ Investment: 'investment', Credit: 'credit', Depository: 'depository', Loan: 'loan' });
export type AccountType = AccountTypeSdk;

export const AccountSubtype = some<typeof AccountSubtypeSdk>()({ Checking: 'checking', Savings: 'savings', CreditCard: 'credit card', Brokerage: 'brokerage', _401k: '401k', Student: 'student', Mortgage: 'mortgage' });
export type AccountSubtype = AccountSubtypeSdk;

export const InvestmentTransactionSubtype = some<typeof InvestmentTransactionSubtypeSdk>()({ Buy: 'buy', Sell: 'sell', Dividend: 'dividend', AccountFee: 'account fee' });
export type InvestmentTransactionSubtype = InvestmentTransactionSubtypeSdk;

export const InvestmentTransactionType = some<typeof InvestmentTransactionTypeSdk>()({ Buy: 'buy', Sell: 'sell', Cash: 'cash', Fee: 'fee' });
export type InvestmentTransactionType = InvestmentTransactionTypeSdk;

export const ItemUpdateTypeEnum = some<typeof ItemUpdateTypeEnumSdk>()({ Background: 'background' });
export type ItemUpdateTypeEnum = ItemUpdateTypeEnumSdk;

export const ItemWithConsentFieldsUpdateTypeEnum = some<typeof ItemWithConsentFieldsUpdateTypeEnumSdk>()({ Background: 'background' });
export type ItemWithConsentFieldsUpdateTypeEnum = ItemWithConsentFieldsUpdateTypeEnumSdk;

export const PersonalFinanceCategoryVersion = some<typeof PersonalFinanceCategoryVersionSdk>()({ V2: 'v2' });
export type PersonalFinanceCategoryVersion = PersonalFinanceCategoryVersionSdk;

export const APRAprTypeEnum = some<typeof APRAprTypeEnumSdk>()({ PurchaseApr: 'purchase_apr', CashApr: 'cash_apr' });
export type APRAprTypeEnum = APRAprTypeEnumSdk;

export const StudentLoanStatusTypeEnum = some<typeof StudentLoanStatusTypeEnumSdk>()({ Repayment: 'repayment' });
export type StudentLoanStatusTypeEnum = StudentLoanStatusTypeEnumSdk;

export const StudentRepaymentPlanTypeEnum = some<typeof StudentRepaymentPlanTypeEnumSdk>()({ Standard: 'standard' });
export type StudentRepaymentPlanTypeEnum = StudentRepaymentPlanTypeEnumSdk;

export const PlaidErrorType = some<typeof PlaidErrorTypeSdk>()({ InvalidRequest: 'INVALID_REQUEST', InvalidInput: 'INVALID_INPUT', InstitutionError: 'INSTITUTION_ERROR', RateLimitExceeded: 'RATE_LIMIT_EXCEEDED', ApiError: 'API_ERROR', ItemError: 'ITEM_ERROR', SandboxError: 'SANDBOX_ERROR', TransactionsError: 'TRANSACTIONS_ERROR' });
export type PlaidErrorType = PlaidErrorTypeSdk;
