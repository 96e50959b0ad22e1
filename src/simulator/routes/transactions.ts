import type { Hono } from 'hono';
import { Products, TransactionsUpdateStatus } from '../plaid-enums.js';
import type {
  TransactionsRefreshRequest, TransactionsRefreshResponse, TransactionsSyncRequest, TransactionsSyncResponse,
} from 'plaid';
import { z } from 'zod';
import type { SimulatorContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { Cursor } from '../cursor.js';
import type { ItemEvents } from '../item-events.js';
import type { SimItem } from '../item-store.js';
import { accountBases, requireProduct } from '../item-views.js';
import { plaidErrors } from '../plaid-errors.js';
import { plaidRoute } from '../plaid-route.js';
import { PreparedJson } from '../prepared-json.js';
import { Rng, mix } from '../prng.js';
import { SyncPages } from '../sync-pages.js';
import { withAccessToken } from './schemas.js';

const DEFAULT_COUNT = 100;
const MAX_COUNT = 500;

const sync = z.object({
  ...withAccessToken,
  cursor: z.string().nullish().transform((value) => value ?? undefined),
  count: z.number().int().optional(),
  options: z.object({
    include_original_description: z.boolean().nullish(),
    // Accepted and ignored: the simulator's transactions always carry these fields.
    include_personal_finance_category: z.boolean().optional(),
    include_logo_and_counterparty_beta: z.boolean().optional(),
    days_requested: z.number().int().min(1).max(730).optional(),
    account_id: z.string().optional(),
  }).optional(),
});

const refresh = z.object(withAccessToken);

/** The members of a /transactions/sync answer after the transactions (`added`, `modified`, `removed`), in Plaid's order. */
type SyncTail = Omit<TransactionsSyncResponse, 'request_id' | 'added' | 'modified' | 'removed'>;

export function registerTransactionRoutes(app: Hono, ctx: SimulatorContext, events: ItemEvents): void {
  const pages = new SyncPages(ctx.closing.signal);
  plaidRoute<TransactionsSyncRequest, TransactionsSyncResponse>(app, ctx, '/transactions/sync', sync, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    requireProduct(item, Products.Transactions, ctx.calls);
    const count = req.count ?? DEFAULT_COUNT;
    if (count < 1 || count > MAX_COUNT) throw plaidErrors.invalidField(`count must be between 1 and ${MAX_COUNT}`);
    item.syncCalled = true;
    if (item.ready === 'not_ready') {
      return { added: [], modified: [], removed: [], next_cursor: '', has_more: false, accounts: [], transactions_update_status: TransactionsUpdateStatus.NotReady };
    }
    const accountId = req.options?.account_id;
    if (accountId !== undefined && !item.accounts.some((a) => a.account.account_id === accountId)) throw plaidErrors.invalidAccountId();
    // A per-account stream has cursors of its own; binding the account into the tag keeps them apart.
    const tag = accountId === undefined ? item.tag : `${item.tag}-${item.accounts.findIndex((a) => a.account.account_id === accountId)}`;
    const { start, position } = startingPoint(item, tag, req.cursor ?? '');
    const descriptions = req.options?.include_original_description === true;
    const page = pages.page(item.log, { start, position, count, accountId, descriptions });
    const next: Cursor = page.hasMore
      ? { kind: 'paging', start, position: page.next, logLength: item.log.length }
      : { kind: 'settled', position: page.next };
    const tail: SyncTail = {
      next_cursor: encodeCursor(tag, next),
      has_more: page.hasMore,
      accounts: accountBases(item.accounts.filter((a) => page.accountIds.has(a.account.account_id))),
      transactions_update_status: item.ready === 'initial'
        ? TransactionsUpdateStatus.InitialUpdateComplete
        : TransactionsUpdateStatus.HistoricalUpdateComplete,
    };
    return new PreparedJson(page.members, tail);
  });

  plaidRoute<TransactionsRefreshRequest, TransactionsRefreshResponse>(app, ctx, '/transactions/refresh', refresh, (req) => {
    const item = ctx.store.byAccessToken(req.access_token);
    requireProduct(item, Products.Transactions, ctx.calls);
    // Like Sandbox's dynamic user: a refresh finds a few new transactions and posts a pending one.
    const rng = new Rng(mix(item.key, 0x2ef, item.log.length));
    events.advance(item, { added: rng.between(1, 3), posted: Math.min(1, item.log.pendingCount()) });
    return {};
  });
}

function startingPoint(item: SimItem, tag: string, cursor: string): { start: number; position: number } {
  if (cursor === '') return { start: 0, position: 0 };
  if (cursor === 'now') return { start: item.log.length, position: item.log.length };
  const decoded = decodeCursor(tag, cursor, item.log.length);
  if (decoded.kind === 'settled') return { start: decoded.position, position: decoded.position };
  if (item.forcedMutations > 0) {
    item.forcedMutations--;
    throw plaidErrors.mutationDuringPagination();
  }
  if (decoded.logLength !== item.log.length) throw plaidErrors.mutationDuringPagination();
  return { start: decoded.start, position: decoded.position };
}
