import type {
  AccountBase, Holding, InvestmentTransaction, JWKPublicKey, LiabilitiesObject, PendingDisconnectWebhookReason, Products,
  Security, Transaction,
} from 'plaid';
import type { BilledAdd } from './call-stats.js';
import type { AdvanceSpec } from './change-log.js';
import type { FaultRule } from './faults.js';
import type { AccountSet } from './institutions.js';
import type { AdvanceResult, UpdateModeErrorCode, WebhookResult } from './item-events.js';
import type { ReadyState } from './item-store.js';
import type { WebhookDelivery } from './webhook-dispatcher.js';

export type { AccountSet, AdvanceSpec, AdvanceResult, BilledAdd, FaultRule, WebhookDelivery, WebhookResult };

export interface CreateItemOptions {
  /** Default ins_109508 (First Platypus Bank). */
  institutionId?: string;
  /** Default ['transactions']. */
  products?: Products[];
  /** As /link/token/create's lists: initialized when the institution supports them. */
  requiredIfSupportedProducts?: Products[];
  optionalProducts?: Products[];
  /** Consented at Link without being initialized: the first call adds (and bills) them. */
  additionalConsentedProducts?: Products[];
  /** Default true (Data Transparency Messaging): products outside consent answer ADDITIONAL_CONSENT_REQUIRED. false: any supported product is added on use. */
  dataTransparency?: boolean;
  /** Default `full`: the test user's whole account set at the institution, as in Sandbox; `products`: only the requested products' accounts. */
  accountSet?: AccountSet;
  /** Size of the initial history; default the simulator's defaultTransactionCount. */
  transactionCount?: number;
  /** Days the initial history spans (default 90, as Plaid's days_requested). */
  historyDays?: number;
  webhook?: string | null;
  /** false: /transactions/sync answers NOT_READY until markReady(). Default true. */
  ready?: boolean;
  userId?: string | null;
}

export interface CreatedItem {
  itemId: string;
  accessToken: string;
  institutionId: string;
  products: Products[];
  accountIds: string[];
}

export interface CompleteLinkInput {
  linkToken: string;
  /** Ignored in update mode; default ins_109508. */
  institutionId?: string;
  transactionCount?: number;
  /** Link's account selection (normal mode): positions in the institution's account list; default all. */
  accountIndexes?: number[];
}

export interface LinkCompletion {
  publicToken: string;
  itemId: string;
  updateMode: boolean;
  /** Always false: update mode in the app sends no webhook (LOGIN_REPAIRED is for repairs made elsewhere, `repairLogin`). */
  webhookFired: boolean;
}

export interface ItemSnapshot {
  itemId: string;
  accessToken: string;
  institutionId: string;
  /** Initialized (billed) products, including those added after Link. */
  products: Products[];
  consentedProducts: Products[] | null;
  webhook: string | null;
  ready: ReadyState;
  errorCode: string | null;
  removed: boolean;
  transactionCount: number;
  logLength: number;
  pendingCount: number;
  accountIds: string[];
  newAccountsAvailable: boolean;
  consentExpirationTime: string | null;
}

export interface TruthTransaction {
  transaction_id: string;
  account_id: string;
  amount: number;
  date: string;
  pending: boolean;
  pending_transaction_id: string | null;
  name: string;
}

/** The Item's live transactions, generated afresh on every iteration (a 1M-row Item is never held). */
export interface TransactionsTruth extends Iterable<TruthTransaction> {
  count: number;
  /** The full Transaction objects, exactly as /transactions/sync would return them now. */
  transactions(): Iterable<Transaction>;
}

export interface BalanceChange {
  accountId?: string;
  current: number;
  /** Undefined keeps the gap between current and available (a credit card's follows its limit). */
  available?: number | null;
}

export interface SimulatorStats {
  calls: Record<string, number>;
  /** Products added to Items after Link by a product call (billed from then on), in order. */
  billedAdds: BilledAdd[];
  /** Per Item id, product endpoint calls per product (refused ones included). */
  productCalls: Record<string, Record<string, number>>;
  injectedFaults: Record<string, number>;
  webhooks: { total: number; delivered: number; failed: number; pending: number };
  rateLimits: boolean;
}

export interface SimulatorControl {
  createItem(options?: CreateItemOptions): CreatedItem;
  /** Finishes a Link session for a link_token: a new Item, or (update mode) the repaired one. */
  completeLink(input: CompleteLinkInput): LinkCompletion;
  item(itemId: string): ItemSnapshot;
  items(): ItemSnapshot[];
  /** Appends n new, m modified, k removed and p posted-pending changes, then SYNC_UPDATES_AVAILABLE. */
  advance(itemId: string, spec: AdvanceSpec): AdvanceResult;
  markReady(itemId: string, phase?: 'initial' | 'historical'): WebhookResult;
  loginRequired(itemId: string): WebhookResult;
  /** An Item-level error the user fixes in update mode (`ITEM_LOGIN_REQUIRED`, `ACCESS_NOT_GRANTED`, `NO_ACCOUNTS`) + ITEM `ERROR`. */
  itemError(itemId: string, code: UpdateModeErrorCode): WebhookResult;
  /** The login repaired outside the app: clears ITEM_LOGIN_REQUIRED and sends LOGIN_REPAIRED (nothing otherwise). */
  repairLogin(itemId: string): WebhookResult;
  /** ITEM_NOT_FOUND from now on, as after deletion by Plaid or /item/remove. */
  revokeItem(itemId: string): WebhookResult;
  revokePermission(itemId: string): WebhookResult;
  pendingExpiration(itemId: string, consentExpirationTime?: string): WebhookResult;
  pendingDisconnect(itemId: string, options?: { reason?: PendingDisconnectWebhookReason; disconnectTime?: string }): WebhookResult;
  newAccountsAvailable(itemId: string): WebhookResult;
  revokeAccount(itemId: string, accountId?: string): WebhookResult & { account_id: string };
  /**
   * The bank reports new balances for one account (the first live one by default) without any
   * transaction: interest, a fee not itemised, a correction. Plaid sends no webhook for it.
   */
  setBalance(itemId: string, change: BalanceChange): { account_id: string; balances: AccountBase['balances'] };
  updateHoldings(itemId: string, change?: { added?: number; updated?: number }): WebhookResult & { new_holdings: number; updated_holdings: number };
  addInvestmentTransactions(itemId: string, added?: number): WebhookResult & { new_investments_transactions: number };
  updateLiabilities(itemId: string, accountIds?: string[]): WebhookResult & { updated: Record<string, string[]> };
  /** The next `times` mid-pagination /transactions/sync calls for the Item fail with the mutation error. */
  failNextPagination(itemId: string, times?: number): void;
  rotateWebhookKey(): { kid: string; expiredKid: string | null };
  webhookKeys(): JWKPublicKey[];
  truth(itemId: string): TransactionsTruth;
  accountsTruth(itemId: string): AccountBase[];
  holdingsTruth(itemId: string): { holdings: Holding[]; securities: Security[] };
  investmentTransactionsTruth(itemId: string): InvestmentTransaction[];
  liabilitiesTruth(itemId: string): LiabilitiesObject;
  calls(): Record<string, number>;
  calls(endpoint: string): number;
  resetCalls(): void;
  addFault(rule: FaultRule): void;
  setFaults(rules: FaultRule[]): void;
  clearFaults(): void;
  faults(): FaultRule[];
  /** Errors the simulator produced on purpose (faults and rate limits), by error_code; plus TIMEOUT and LATENCY. */
  injectedFaults(): Record<string, number>;
  resetInjectedFaults(): void;
  setRateLimits(enabled: boolean): void;
  webhookDeliveries(): readonly WebhookDelivery[];
  /** Resolves when no webhook delivery is in flight or waiting for a retry. */
  idle(): Promise<void>;
  stats(): SimulatorStats;
  /** Resets call counters and injected-fault counters. */
  resetStats(): void;
}
