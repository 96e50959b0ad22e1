import { Products } from './plaid-enums.js';
import type { Transaction } from 'plaid';
import { isLiabilityAccount, setBalances } from './accounts.js';
import { dayToDate } from './clock.js';
import type { SimulatorContext } from './context.js';
import type {
  CompleteLinkInput, CreateItemOptions, CreatedItem, ItemSnapshot, LinkCompletion, SimulatorControl, SimulatorStats,
  TransactionsTruth, TruthTransaction,
} from './control-types.js';
import { securitiesFor } from './investments-data.js';
import type { ItemEvents } from './item-events.js';
import type { SimItem } from './item-store.js';
import { accountBases, liveAccounts } from './item-views.js';
import { liabilitiesFor } from './liabilities-data.js';
import { plaidErrors } from './plaid-errors.js';

const DEFAULT_INSTITUTION = 'ins_109508';

export function createControl(ctx: SimulatorContext, events: ItemEvents): SimulatorControl {
  const item = (itemId: string): SimItem => ctx.store.get(itemId);

  function calls(): Record<string, number>;
  function calls(endpoint: string): number;
  function calls(endpoint?: string): Record<string, number> | number {
    return endpoint === undefined ? ctx.calls.all() : ctx.calls.get(endpoint);
  }

  const stats = (): SimulatorStats => {
    const deliveries = ctx.dispatcher.deliveries();
    const inState = (state: string): number => deliveries.filter((d) => d.state === state).length;
    return {
      calls: ctx.calls.all(),
      billedAdds: ctx.calls.billedAdds(),
      productCalls: ctx.calls.productCalls(),
      injectedFaults: ctx.faults.injected(),
      webhooks: { total: deliveries.length, delivered: inState('delivered'), failed: inState('failed'), pending: inState('pending') },
      rateLimits: ctx.limiter.enabled,
    };
  };

  return {
    createItem: (options: CreateItemOptions = {}): CreatedItem => created(ctx.store.create({
      institutionId: options.institutionId ?? DEFAULT_INSTITUTION,
      products: options.products ?? [Products.Transactions],
      requiredIfSupportedProducts: options.requiredIfSupportedProducts,
      optionalProducts: options.optionalProducts,
      additionalConsentedProducts: options.additionalConsentedProducts,
      dataTransparency: options.dataTransparency,
      accountSet: options.accountSet,
      transactionCount: options.transactionCount,
      historyDays: options.historyDays,
      webhook: options.webhook ?? null,
      ready: options.ready,
      userId: options.userId ?? null,
    })),
    completeLink: (input: CompleteLinkInput): LinkCompletion => {
      const record = ctx.store.linkToken(input.linkToken);
      if (record.itemId !== null) {
        const target = item(record.itemId);
        // Repaired through update mode in the app: Plaid sends LOGIN_REPAIRED only for an Item
        // repaired elsewhere (repairLogin), so the app learns of this repair from its own Link flow.
        events.updatedInLink(target);
        return { publicToken: ctx.store.issuePublicToken(target.itemId), itemId: target.itemId, updateMode: true, webhookFired: false };
      }
      const fresh = ctx.store.create({
        institutionId: input.institutionId ?? DEFAULT_INSTITUTION,
        products: record.products,
        requiredIfSupportedProducts: record.requiredIfSupportedProducts,
        optionalProducts: record.optionalProducts,
        additionalConsentedProducts: record.additionalConsentedProducts,
        webhook: record.webhook,
        historyDays: record.historyDays,
        userId: record.userId,
        transactionCount: input.transactionCount,
        accountIndexes: input.accountIndexes,
      });
      events.linked(fresh);
      return { publicToken: ctx.store.issuePublicToken(fresh.itemId), itemId: fresh.itemId, updateMode: false, webhookFired: false };
    },
    item: (itemId) => snapshot(item(itemId)),
    items: () => ctx.store.list().map(snapshot),
    advance: (itemId, spec) => events.advance(item(itemId), spec),
    markReady: (itemId, phase = 'historical') => events.markReady(item(itemId), phase),
    loginRequired: (itemId) => events.loginRequired(item(itemId)),
    itemError: (itemId, code) => events.itemError(item(itemId), code),
    repairLogin: (itemId) => events.repairLogin(item(itemId)),
    revokeItem: (itemId) => events.revoke(item(itemId)),
    revokePermission: (itemId) => events.revokePermission(item(itemId)),
    pendingExpiration: (itemId, at) => events.pendingExpiration(item(itemId), at),
    pendingDisconnect: (itemId, options = {}) => events.pendingDisconnect(item(itemId), options.reason, options.disconnectTime),
    newAccountsAvailable: (itemId) => events.newAccountsAvailable(item(itemId)),
    revokeAccount: (itemId, accountId) => events.revokeAccount(item(itemId), accountId),
    setBalance: (itemId, change) => {
      const target = item(itemId);
      const account = change.accountId === undefined
        ? target.accounts.find((a) => !a.revoked)
        : target.accounts.find((a) => !a.revoked && a.account.account_id === change.accountId);
      if (!account) throw plaidErrors.invalidAccountId();
      setBalances(account, change.current, change.available);
      return { account_id: account.account.account_id, balances: structuredClone(account.account.balances) };
    },
    updateHoldings: (itemId, change = {}) => events.updateHoldings(item(itemId), change.added ?? 1, change.updated ?? 1),
    addInvestmentTransactions: (itemId, added = 1) => events.addInvestmentTransactions(item(itemId), added),
    updateLiabilities: (itemId, accountIds) => events.updateLiabilities(item(itemId), accountIds),
    failNextPagination: (itemId, times = 1) => {
      item(itemId).forcedMutations += times;
    },
    rotateWebhookKey: () => ctx.signer.rotate(),
    webhookKeys: () => ctx.signer.allKeys(),
    truth: (itemId) => truthOf(item(itemId)),
    accountsTruth: (itemId) => accountBases(liveAccounts(item(itemId))),
    holdingsTruth: (itemId) => {
      const target = item(itemId);
      const holdings = target.holdings.map((h) => ({ ...h }));
      return { holdings, securities: securitiesFor(holdings.map((h) => h.security_id), dayToDate(ctx.clock.todayDay())) };
    },
    investmentTransactionsTruth: (itemId) => item(itemId).investmentTransactions.map((t) => ({ ...t })),
    liabilitiesTruth: (itemId) => {
      const target = item(itemId);
      return liabilitiesFor(liveAccounts(target, (a) => isLiabilityAccount(a.kind)), target.key, target.today, target.liabilityRevisions);
    },
    calls,
    resetCalls: () => ctx.calls.reset(),
    addFault: (rule) => ctx.faults.add(rule),
    setFaults: (rules) => ctx.faults.set(rules),
    clearFaults: () => ctx.faults.clear(),
    faults: () => ctx.faults.list(),
    injectedFaults: () => ctx.faults.injected(),
    resetInjectedFaults: () => ctx.faults.resetCounters(),
    setRateLimits: (enabled) => {
      ctx.limiter.enabled = enabled;
      ctx.limiter.reset();
    },
    webhookDeliveries: () => ctx.dispatcher.deliveries(),
    idle: () => ctx.dispatcher.idle(),
    stats,
    resetStats: () => {
      ctx.calls.reset();
      ctx.faults.resetCounters();
    },
  };
}

function created(item: SimItem): CreatedItem {
  return {
    itemId: item.itemId,
    accessToken: item.accessToken,
    institutionId: item.institution.institution.institution_id,
    products: [...item.products],
    accountIds: item.accounts.map((a) => a.account.account_id),
  };
}

function snapshot(item: SimItem): ItemSnapshot {
  return {
    itemId: item.itemId,
    accessToken: item.accessToken,
    institutionId: item.institution.institution.institution_id,
    products: [...item.products],
    consentedProducts: item.consentedProducts === null ? null : [...item.consentedProducts],
    webhook: item.webhook,
    ready: item.ready,
    errorCode: item.removed ? 'ITEM_NOT_FOUND' : item.error?.errorCode ?? null,
    removed: item.removed,
    transactionCount: item.log.count,
    logLength: item.log.length,
    pendingCount: item.log.pendingCount(),
    accountIds: liveAccounts(item).map((a) => a.account.account_id),
    newAccountsAvailable: item.newAccountsAvailable,
    consentExpirationTime: item.consentExpirationTime,
  };
}

function truthOf(item: SimItem): TransactionsTruth {
  const log = item.log;
  return {
    count: log.count,
    transactions: () => log.current(),
    *[Symbol.iterator](): Iterator<TruthTransaction> {
      for (const t of log.current()) yield toTruth(t);
    },
  };
}

function toTruth(t: Transaction): TruthTransaction {
  return {
    transaction_id: t.transaction_id,
    account_id: t.account_id,
    amount: t.amount,
    date: t.date,
    pending: t.pending,
    pending_transaction_id: t.pending_transaction_id,
    name: t.name,
  };
}

