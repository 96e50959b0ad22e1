import type { Holding, InvestmentTransaction } from 'plaid';
import type { SavedEvents } from './change-log.js';
import type { FaultRule } from './faults.js';
import { findInstitution, type AccountSet } from './institutions.js';
import { sortNewestFirst } from './investments-data.js';
import type { ItemStore, LinkTokenRecord, PublicTokenRecord, ReadyState, SimItem, StoreCounters } from './item-store.js';
import type { PlaidErrorType, Products } from './plaid-enums.js';
import { PlaidApiError } from './plaid-errors.js';
import { Rng } from './prng.js';
import type { SavedSigner } from './webhook-signer.js';

/** Bumped when the saved shape changes incompatibly; a simulator refuses state of another version. */
export const STATE_VERSION = 1;

/**
 * An Item as saved: what identifies it and what happened to it since. Its accounts, initial
 * transaction history, holdings and investment transactions are regenerated from its key, so only
 * the change log's appended events (and investment data once changed) are kept.
 */
export interface SavedItem {
  itemId: string;
  key: number;
  accessToken: string;
  institutionId: string;
  products: Products[];
  /** Absent in state saved before consent tracking: such Items add any supported product on use. */
  consentedProducts?: Products[] | null;
  /** Absent in state saved before full account sets: those Items hold their products' accounts only. */
  accountSet?: AccountSet;
  accountIndexes: number[];
  revokedAccounts: number[];
  /** Each account's balances as they stand (index, current, available): they move after creation. Absent in older saves. */
  balances?: [number, number | null, number | null][];
  webhook: string | null;
  userId: string | null;
  baseCount: number;
  historyDays: number;
  today: number;
  events: SavedEvents;
  /** Initial-history transactions still hidden by phased readiness (absent in older saved state: none). */
  hiddenHistory?: number;
  ready: ReadyState;
  syncCalled: boolean;
  error: { status: number; errorType: PlaidErrorType; errorCode: string; message: string; displayMessage: string | null } | null;
  removed: boolean;
  consentExpirationTime: string | null;
  newAccountsAvailable: boolean;
  /** Present once holdings or investment transactions changed after creation: the holdings, and the added transactions. */
  investments: { holdings: Holding[]; added: InvestmentTransaction[] } | null;
  investmentSequence: number;
  liabilityRevisions: [string, number][];
  createdAt: string;
  lastTransactionsUpdate: string;
  lastWebhook: { sent_at: string; code_sent: string } | null;
  rng: number;
  forcedMutations: number;
}

export interface SavedMeta {
  version: number;
  seed: number;
  counters: StoreCounters;
  /** Request ids below this number may have been used; a restart numbers from here. */
  requestCeiling: number;
  signer: SavedSigner;
  faults: FaultRule[];
  rateLimits: boolean;
}

export type SavedEntry = SavedItem | PublicTokenRecord | LinkTokenRecord | SavedMeta;

export function saveItem(item: SimItem): SavedItem {
  const error = item.error;
  return {
    itemId: item.itemId,
    key: item.key,
    accessToken: item.accessToken,
    institutionId: item.institution.institution.institution_id,
    products: [...item.products],
    consentedProducts: item.consentedProducts === null ? null : [...item.consentedProducts],
    accountSet: item.accountSet,
    accountIndexes: item.accounts.map((a) => a.index),
    revokedAccounts: item.accounts.filter((a) => a.revoked).map((a) => a.index),
    balances: item.accounts.map((a) => [a.index, a.account.balances.current, a.account.balances.available ?? null]),
    webhook: item.webhook,
    userId: item.userId,
    baseCount: item.log.baseCount,
    historyDays: item.log.historyDays,
    today: item.today,
    events: item.log.savedEvents(),
    hiddenHistory: item.log.hiddenCount,
    ready: item.ready,
    syncCalled: item.syncCalled,
    error: error === null ? null : { status: error.status, errorType: error.errorType, errorCode: error.errorCode, message: error.message, displayMessage: error.displayMessage },
    removed: item.removed,
    consentExpirationTime: item.consentExpirationTime,
    newAccountsAvailable: item.newAccountsAvailable,
    investments: item.investmentSequence === 0 ? null : { holdings: item.holdings, added: item.addedInvestmentTransactions },
    investmentSequence: item.investmentSequence,
    liabilityRevisions: [...item.liabilityRevisions],
    createdAt: item.createdAt,
    lastTransactionsUpdate: item.lastTransactionsUpdate,
    lastWebhook: item.lastWebhook,
    rng: item.rng.state,
    forcedMutations: item.forcedMutations,
  };
}

export function restoreItem(store: ItemStore, saved: SavedItem): SimItem {
  const institution = findInstitution(saved.institutionId);
  if (!institution) throw new Error(`saved simulator item ${saved.itemId} names an unknown institution ${saved.institutionId}`);
  const item = store.assemble({
    itemId: saved.itemId,
    key: saved.key,
    accessToken: saved.accessToken,
    institution,
    products: saved.products,
    consentedProducts: saved.consentedProducts ?? null,
    accountSet: saved.accountSet ?? 'products',
    accountIndexes: saved.accountIndexes,
    webhook: saved.webhook,
    userId: saved.userId,
    transactionCount: saved.baseCount,
    historyDays: saved.historyDays,
    today: saved.today,
    createdAt: saved.createdAt,
  });
  item.log.hideFirst(saved.hiddenHistory ?? 0);
  item.log.restoreEvents(saved.events);
  for (const account of item.accounts) account.revoked = saved.revokedAccounts.includes(account.index);
  for (const [index, current, available] of saved.balances ?? []) {
    const account = item.accounts.find((a) => a.index === index);
    if (account) account.account.balances = { ...account.account.balances, current, available };
  }
  const error = saved.error;
  Object.assign(item, {
    ready: saved.ready,
    syncCalled: saved.syncCalled,
    error: error === null ? null : new PlaidApiError(error.status, error.errorType, error.errorCode, error.message, error.displayMessage),
    removed: saved.removed,
    consentExpirationTime: saved.consentExpirationTime,
    newAccountsAvailable: saved.newAccountsAvailable,
    investmentSequence: saved.investmentSequence,
    liabilityRevisions: new Map(saved.liabilityRevisions),
    lastTransactionsUpdate: saved.lastTransactionsUpdate,
    lastWebhook: saved.lastWebhook,
    rng: new Rng(saved.rng),
    forcedMutations: saved.forcedMutations,
  } satisfies Partial<SimItem>);
  if (saved.investments !== null) {
    item.holdings = saved.investments.holdings;
    item.addedInvestmentTransactions = saved.investments.added;
    // A stable sort of the initial (sorted) list followed by the additions, as each addition sorted it.
    item.investmentTransactions = sortNewestFirst([...item.investmentTransactions, ...saved.investments.added]);
  }
  return item;
}
