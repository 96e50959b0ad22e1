import { WebhookEnvironmentValues } from './plaid-enums.js';
import type {
  DefaultUpdateWebhook, HoldingsDefaultUpdateWebhook, InvestmentsDefaultUpdateWebhook, InvestmentsHistoricalUpdateWebhook, ItemErrorWebhook,
  ItemLoginRepairedWebhook, LiabilitiesDefaultUpdateWebhook, NewAccountsAvailableWebhook, PendingDisconnectWebhook,
  PendingDisconnectWebhookReason, PendingExpirationWebhook, PlaidError, RecurringTransactionsUpdateWebhook,
  SyncUpdatesAvailableWebhook, TransactionsRemovedWebhook, UserAccountRevokedWebhook, UserPermissionRevokedWebhook,
  WebhookUpdateAcknowledgedWebhook,
} from 'plaid';

const environment = WebhookEnvironmentValues.Sandbox;

/** Every webhook payload the simulator sends, built from the SDK's own interfaces. */
export const webhookPayloads = {
  syncUpdatesAvailable: (item_id: string, initial: boolean, historical: boolean): SyncUpdatesAvailableWebhook => ({
    webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id,
    initial_update_complete: initial, historical_update_complete: historical, environment,
  }),
  transactionsDefaultUpdate: (item_id: string, new_transactions: number): DefaultUpdateWebhook => ({
    webhook_type: 'TRANSACTIONS', webhook_code: 'DEFAULT_UPDATE', item_id, new_transactions, error: null, environment,
  }),
  transactionsRemoved: (item_id: string, removed_transactions: string[]): TransactionsRemovedWebhook => ({
    webhook_type: 'TRANSACTIONS', webhook_code: 'TRANSACTIONS_REMOVED', item_id, removed_transactions, error: null, environment,
  }),
  recurringTransactionsUpdate: (item_id: string, account_ids: string[]): RecurringTransactionsUpdateWebhook => ({
    webhook_type: 'TRANSACTIONS', webhook_code: 'RECURRING_TRANSACTIONS_UPDATE', item_id, account_ids, environment,
  }),
  holdingsDefaultUpdate: (item_id: string, new_holdings: number, updated_holdings: number): HoldingsDefaultUpdateWebhook => ({
    webhook_type: 'HOLDINGS', webhook_code: 'DEFAULT_UPDATE', item_id, error: null, new_holdings, updated_holdings, environment,
  }),
  investmentsHistoricalUpdate: (item_id: string, added: number): InvestmentsHistoricalUpdateWebhook => ({
    webhook_type: 'INVESTMENTS_TRANSACTIONS', webhook_code: 'HISTORICAL_UPDATE', item_id, error: null,
    new_investments_transactions: added, cancelled_investments_transactions: 0, environment,
  }),
  investmentsDefaultUpdate: (item_id: string, added: number, cancelled: number): InvestmentsDefaultUpdateWebhook => ({
    webhook_type: 'INVESTMENTS_TRANSACTIONS', webhook_code: 'DEFAULT_UPDATE', item_id, error: null,
    new_investments_transactions: added, cancelled_investments_transactions: cancelled, environment,
  }),
  liabilitiesDefaultUpdate: (
    item_id: string, newIds: string[], updated: Record<string, string[]>,
  ): LiabilitiesDefaultUpdateWebhook => ({
    webhook_type: 'LIABILITIES', webhook_code: 'DEFAULT_UPDATE', item_id, error: null,
    account_ids_with_new_liabilities: newIds, account_ids_with_updated_liabilities: updated, environment,
  }),
  itemError: (item_id: string, error: PlaidError): ItemErrorWebhook => ({
    webhook_type: 'ITEM', webhook_code: 'ERROR', item_id, error, environment,
  }),
  loginRepaired: (item_id: string): ItemLoginRepairedWebhook => ({
    webhook_type: 'ITEM', webhook_code: 'LOGIN_REPAIRED', item_id, environment,
  }),
  pendingExpiration: (item_id: string, consent_expiration_time: string): PendingExpirationWebhook => ({
    webhook_type: 'ITEM', webhook_code: 'PENDING_EXPIRATION', item_id, consent_expiration_time, environment,
  }),
  pendingDisconnect: (
    item_id: string, reason: PendingDisconnectWebhookReason, disconnect_time: string,
  ): PendingDisconnectWebhook => ({
    webhook_type: 'ITEM', webhook_code: 'PENDING_DISCONNECT', item_id, reason, disconnect_time, environment,
  }),
  userPermissionRevoked: (item_id: string, error: PlaidError): UserPermissionRevokedWebhook => ({
    webhook_type: 'ITEM', webhook_code: 'USER_PERMISSION_REVOKED', item_id, error, environment,
  }),
  userAccountRevoked: (item_id: string, account_id: string): UserAccountRevokedWebhook => ({
    webhook_type: 'ITEM', webhook_code: 'USER_ACCOUNT_REVOKED', item_id, account_id, environment,
  }),
  newAccountsAvailable: (item_id: string): Required<Pick<NewAccountsAvailableWebhook, 'webhook_type' | 'webhook_code' | 'item_id'>> & NewAccountsAvailableWebhook => ({
    webhook_type: 'ITEM', webhook_code: 'NEW_ACCOUNTS_AVAILABLE', item_id, error: null, environment,
  }),
  webhookUpdateAcknowledged: (item_id: string, new_webhook_url: string): WebhookUpdateAcknowledgedWebhook => ({
    webhook_type: 'ITEM', webhook_code: 'WEBHOOK_UPDATE_ACKNOWLEDGED', item_id, new_webhook_url, error: null, environment,
  }),
};

