/**
 * The records the service stores, as the app reads them: one schema and one set-based loader per
 * kind (records by ids, scoped to a user). The read endpoints and the change feed share them, so a
 * record looks the same wherever the app meets it.
 */
export * from './schemas.js';
export { accountRecord, loadAccounts, loadItemAccounts } from './accounts.js';
export { itemRecord, loadItems, loadUserItems, CONSENT_WARNING_DAYS } from './items.js';
export { transactionRecord, loadTransactions } from './transactions.js';
export {
  holdingRecord,
  investmentTransactionRecord,
  loadAccountHoldings,
  loadHoldings,
  loadInvestmentTransactions,
  loadSecurities,
  securityRecord,
  type HoldingKey,
} from './investments.js';
export { liabilityRecord, loadLiabilities } from './liabilities.js';
