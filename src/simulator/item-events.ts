import { PendingDisconnectWebhookReason, PlaidErrorType, Products } from './plaid-enums.js';
import { applyTransaction, isInvestmentAccount, isLiabilityAccount } from './accounts.js';
import type { AdvanceSpec, AdvanceSummary } from './change-log.js';
import { dayToDate } from './clock.js';
import type { SimulatorContext } from './context.js';
import { holding, investmentTransaction, securityCount, securityId as securityIdAt, sortNewestFirst } from './investments-data.js';
import { INITIAL_UPDATE_DAYS, type SimItem } from './item-store.js';
import { plaidErrors } from './plaid-errors.js';
import { Rng, mix } from './prng.js';
import type { WebhookDelivery, WebhookPayload } from './webhook-dispatcher.js';
import { webhookPayloads as W } from './webhook-payloads.js';

export interface AdvanceResult extends AdvanceSummary {
  /** Whether SYNC_UPDATES_AVAILABLE went out (needs a webhook URL, readiness and one earlier sync). */
  webhookFired: boolean;
}

export interface WebhookResult {
  webhookFired: boolean;
}

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * How long consent lasts once renewed in update mode. Plaid documents renewal ("update mode can be
 * used pre-emptively to renew authorization") but not a length, which depends on the institution and
 * region; a year is this simulator's choice (docs/simulator.md).
 */
const RENEWED_CONSENT_MS = 365 * 24 * 60 * 60 * 1000;

/** Item-level errors that update mode fixes: the login, a permission not granted, no eligible account. */
const UPDATE_MODE_ERRORS = {
  ITEM_LOGIN_REQUIRED: plaidErrors.itemLoginRequired,
  ACCESS_NOT_GRANTED: plaidErrors.accessNotGranted,
  NO_ACCOUNTS: plaidErrors.noAccounts,
} as const;
export type UpdateModeErrorCode = keyof typeof UPDATE_MODE_ERRORS;
export const UPDATE_MODE_ERROR_CODES = Object.keys(UPDATE_MODE_ERRORS) as UpdateModeErrorCode[];

/** State changes on an Item and the webhooks Plaid sends for them. */
export class ItemEvents {
  constructor(private readonly ctx: SimulatorContext) {}

  notify(item: SimItem, payload: WebhookPayload, url = item.webhook): WebhookDelivery | null {
    if (url === null || item.removed) return null;
    item.lastWebhook = { sent_at: this.ctx.clock.iso(), code_sent: payload.webhook_code };
    return this.ctx.dispatcher.send(url, payload);
  }

  advance(item: SimItem, spec: AdvanceSpec): AdvanceResult {
    // Each new transaction moves its account's balances, as the bank's would.
    const summary = item.log.advance(spec, item.rng, this.ctx.clock.todayDay(), (transaction) => {
      const account = item.accounts.find((a) => a.account.account_id === transaction.account_id);
      if (account) applyTransaction(account, transaction.amount);
    });
    item.lastTransactionsUpdate = this.ctx.clock.iso();
    const changed = summary.added.length + summary.modified.length + summary.removed.length > 0;
    return { ...summary, webhookFired: changed && this.syncUpdatesAvailable(item) };
  }

  syncUpdatesAvailable(item: SimItem): boolean {
    if (item.ready === 'not_ready' || !item.syncCalled) return false;
    const payload = W.syncUpdatesAvailable(item.itemId, true, item.ready === 'historical');
    return this.notify(item, payload) !== null;
  }

  /**
   * The next readiness phase. The historical update reveals the history older than the initial
   * days and, for an Item with investments, ends `PRODUCT_NOT_READY` of `/investments/transactions/get`
   * with `async_update` (INVESTMENTS_TRANSACTIONS: HISTORICAL_UPDATE).
   */
  markReady(item: SimItem, phase: 'initial' | 'historical'): WebhookResult {
    const wasHistorical = item.ready === 'historical';
    item.ready = phase;
    item.lastTransactionsUpdate = this.ctx.clock.iso();
    if (phase === 'historical' && !wasHistorical) {
      item.log.revealHistory(this.ctx.clock.todayDay());
      if (item.products.includes(Products.Investments)) {
        this.notify(item, W.investmentsHistoricalUpdate(item.itemId, item.investmentTransactions.length));
      }
    }
    return { webhookFired: this.syncUpdatesAvailable(item) };
  }

  /**
   * An Item just created through Link. With `readiness` set, it arrives in phases as at Plaid:
   * nothing, then the recent days, then the history, each phase after its (scaled) delay.
   */
  linked(item: SimItem): void {
    if (this.ctx.options.readiness === null) return;
    item.ready = 'not_ready';
    item.log.hideHistoryBefore(item.today - INITIAL_UPDATE_DAYS);
    this.resumePhases(item);
  }

  /** Schedules the phases an Item has still to go through (after Link, or after a restart of a saved simulator). */
  resumePhases(item: SimItem): void {
    const readiness = this.ctx.options.readiness;
    if (readiness === null || item.ready === 'historical') return;
    this.ctx.clock.after(readiness.initialMs, () => {
      if (item.ready === 'not_ready') this.markReady(item, 'initial');
      this.ctx.store.touch(item.itemId);
    });
    this.ctx.clock.after(readiness.historicalMs, () => {
      if (item.ready !== 'historical') this.markReady(item, 'historical');
      this.ctx.store.touch(item.itemId);
    });
  }

  /**
   * The user went through Link in update mode: the login works again, the new-accounts prompt is
   * answered and consent that expires is renewed. Plaid sends no webhook for it (the app ran Link).
   */
  updatedInLink(item: SimItem): void {
    item.error = null;
    item.newAccountsAvailable = false;
    if (item.consentExpirationTime !== null) item.consentExpirationTime = this.ctx.clock.iso(RENEWED_CONSENT_MS);
  }

  loginRequired(item: SimItem): WebhookResult {
    return this.itemError(item, 'ITEM_LOGIN_REQUIRED');
  }

  /**
   * An Item-level error the user fixes in Link's update mode: every product call answers it,
   * `/item/get` shows it, Plaid sends ITEM `ERROR`, and update mode (`updatedInLink`) clears it.
   */
  itemError(item: SimItem, code: UpdateModeErrorCode): WebhookResult {
    item.error = UPDATE_MODE_ERRORS[code]();
    return { webhookFired: this.notify(item, W.itemError(item.itemId, item.error.toWebhookError())) !== null };
  }

  /**
   * The user fixed the login outside this app (another app's update mode, the bank's site): the
   * Item leaves ITEM_LOGIN_REQUIRED and Plaid sends LOGIN_REPAIRED, its only signal for this case.
   * An Item not in ITEM_LOGIN_REQUIRED has nothing to repair and gets no webhook.
   */
  repairLogin(item: SimItem): WebhookResult {
    if (item.error?.errorCode !== 'ITEM_LOGIN_REQUIRED') return { webhookFired: false };
    item.error = null;
    return { webhookFired: this.notify(item, W.loginRepaired(item.itemId)) !== null };
  }

  /** The Item is gone (deleted by Plaid or depermissioned everywhere): ITEM_NOT_FOUND from now on. */
  revoke(item: SimItem): WebhookResult {
    item.removed = true;
    return { webhookFired: false };
  }

  revokePermission(item: SimItem): WebhookResult {
    item.error = plaidErrors.userPermissionRevoked();
    const error = plaidErrors.userPermissionRevoked(PlaidErrorType.ItemError).toWebhookError();
    return { webhookFired: this.notify(item, W.userPermissionRevoked(item.itemId, error)) !== null };
  }

  pendingExpiration(item: SimItem, consentExpirationTime?: string): WebhookResult {
    item.consentExpirationTime = consentExpirationTime ?? this.ctx.clock.iso(WEEK_MS);
    return { webhookFired: this.notify(item, W.pendingExpiration(item.itemId, item.consentExpirationTime)) !== null };
  }

  pendingDisconnect(item: SimItem, reason?: PendingDisconnectWebhookReason, disconnectTime?: string): WebhookResult {
    const payload = W.pendingDisconnect(
      item.itemId,
      reason ?? PendingDisconnectWebhookReason.TokenExpiration,
      disconnectTime ?? this.ctx.clock.iso(WEEK_MS),
    );
    return { webhookFired: this.notify(item, payload) !== null };
  }

  newAccountsAvailable(item: SimItem): WebhookResult {
    item.newAccountsAvailable = true;
    return { webhookFired: this.notify(item, W.newAccountsAvailable(item.itemId)) !== null };
  }

  /** The account leaves every response; its transactions stay in the Item's history. */
  revokeAccount(item: SimItem, accountId?: string): WebhookResult & { account_id: string } {
    const account = accountId === undefined
      ? item.accounts.find((a) => !a.revoked)
      : item.accounts.find((a) => a.account.account_id === accountId);
    if (!account) throw plaidErrors.invalidAccountId();
    account.revoked = true;
    const fired = this.notify(item, W.userAccountRevoked(item.itemId, account.account.account_id)) !== null;
    return { webhookFired: fired, account_id: account.account.account_id };
  }

  updateHoldings(item: SimItem, added: number, updated: number): WebhookResult & { new_holdings: number; updated_holdings: number } {
    const accounts = item.accounts.filter((a) => !a.revoked && isInvestmentAccount(a.kind));
    if (accounts.length === 0) throw plaidErrors.productsNotSupported(['investments']);
    const rng = new Rng(mix(item.key, 0x401d, item.investmentSequence++));
    const asOf = dayToDate(this.ctx.clock.todayDay());
    let changed = 0;
    for (let i = 0; i < updated && item.holdings.length > 0; i++) {
      const index = rng.int(item.holdings.length);
      const current = item.holdings[index];
      if (!current) continue;
      const quantity = Math.max(1, Math.round(current.quantity * 1000) + rng.between(-500, 5_000));
      const securityIndex = securityIndexOf(current.security_id);
      item.holdings[index] = holding(current.account_id, securityIndex, quantity, Math.round(((current.cost_basis ?? 0) / current.quantity) * 100), asOf);
      changed++;
    }
    let fresh = 0;
    for (let i = 0; i < added; i++) {
      const account = rng.pick(accounts);
      const taken = new Set(item.holdings.filter((h) => h.account_id === account.account.account_id).map((h) => securityIndexOf(h.security_id)));
      const free = [...Array(securityCount()).keys()].filter((s) => !taken.has(s));
      if (free.length === 0) break;
      item.holdings.push(holding(account.account.account_id, rng.pick(free), rng.between(1_000, 90_000), rng.between(10_00, 300_00), asOf));
      fresh++;
    }
    const fired = this.notify(item, W.holdingsDefaultUpdate(item.itemId, fresh, changed)) !== null;
    return { webhookFired: fired, new_holdings: fresh, updated_holdings: changed };
  }

  addInvestmentTransactions(item: SimItem, added: number): WebhookResult & { new_investments_transactions: number } {
    const accounts = item.accounts.filter((a) => !a.revoked && isInvestmentAccount(a.kind));
    if (accounts.length === 0) throw plaidErrors.productsNotSupported(['investments']);
    const rng = new Rng(mix(item.key, 0x17a, item.investmentSequence++));
    for (let i = 0; i < added; i++) {
      const ordinal = 1_000_000 + item.investmentTransactions.length;
      const added = investmentTransaction(item.key, rng.pick(accounts).account.account_id, ordinal, this.ctx.clock.todayDay(), rng);
      item.investmentTransactions.push(added);
      item.addedInvestmentTransactions.push(added);
    }
    sortNewestFirst(item.investmentTransactions);
    const fired = this.notify(item, W.investmentsDefaultUpdate(item.itemId, added, 0)) !== null;
    return { webhookFired: fired, new_investments_transactions: added };
  }

  updateLiabilities(item: SimItem, accountIds?: string[]): WebhookResult & { updated: Record<string, string[]> } {
    const liable = item.accounts.filter((a) => !a.revoked && isLiabilityAccount(a.kind));
    const targets = accountIds === undefined ? liable : liable.filter((a) => accountIds.includes(a.account.account_id));
    if (targets.length === 0) throw plaidErrors.invalidAccountId();
    const updated: Record<string, string[]> = {};
    for (const account of targets) {
      const id = account.account.account_id;
      item.liabilityRevisions.set(id, (item.liabilityRevisions.get(id) ?? 0) + 1);
      updated[id] = account.kind === 'credit card'
        ? ['last_statement_balance', 'minimum_payment_amount', 'is_overdue']
        : ['past_due_amount', 'next_payment_due_date', 'last_payment_amount'];
    }
    const fired = this.notify(item, W.liabilitiesDefaultUpdate(item.itemId, [], updated)) !== null;
    return { webhookFired: fired, updated };
  }
}

function securityIndexOf(securityId: string): number {
  for (let i = 0; i < securityCount(); i++) if (securityIdAt(i) === securityId) return i;
  return 0;
}
