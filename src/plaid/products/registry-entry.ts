import type { AccountSubtype, AccountType, PlaidApi, Products } from 'plaid';
import type { Database, Sql } from '../../db/client.js';
import type { plaidAccounts } from '../../db/schema/index.js';
import type { AccountStatus, ItemStatus, Product } from '../../db/schema/products.js';
import type { PlaidCallOptions, PlaidRequestConfig } from '../../providers/plaid/plaid-call.js';
import type { Executor } from '../../services/item-status.js';
import type { SyncCounts } from '../../sync/sync-outcome.js';
import type { KnownWebhook } from '../../webhooks/webhook-schemas.js';

/** The item a run syncs, as loaded at the start of the run. */
export interface SyncItem {
  id: string;
  userId: string;
  plaidItemId: string;
  status: ItemStatus;
  /** The cursor the run starts from; it stays the starting point until the run commits. */
  transactionsCursor: string | null;
  /** The stored cursor is a checkpoint inside a first pull (see `plaid_items.transactions_cursor_partial`). */
  transactionsCursorPartial: boolean;
}

/**
 * What `apply` returns for a checkpoint of a long run: its data and cursor commit with the counts so
 * far on the run row, and the run goes on (only the last commit finishes the run).
 */
export interface Checkpoint {
  checkpoint: SyncCounts;
}

/**
 * What the engine hands a product's `sync`. The product fetches and stages; the engine owns the
 * invariants around the one commit (item locked and not disconnected, the run still ours, the
 * `sync_runs` row finished in the same transaction).
 */
export interface ProductSyncContext {
  db: Database;
  sql: Sql;
  plaid: PlaidApi;
  item: SyncItem;
  accessToken: string;
  runId: string;
  /** Re-pull everything (history backfill) instead of continuing from the stored position. */
  fromScratch: boolean;
  signal: AbortSignal;
  /** Today as YYYY-MM-DD (UTC), injectable for tests of date windows. */
  today(): string;
  /** Calls Plaid under the adapter's retry policy; errors seen are counted for the run. */
  call<T>(endpoint: string, request: (config: PlaidRequestConfig) => Promise<{ data: T }>, options?: Pick<PlaidCallOptions, 'rateLimits'>): Promise<T>;
  /**
   * Waits after a rate-limited call (the run row shows it meanwhile); aborted with the run. `idle` is
   * the number of waits since the last page: the first is short (an occasional 429 passes quickly),
   * each next one doubles, up to Plaid's one-minute window. Call it with no transaction open where
   * possible: a writing transaction held for a minute holds back the change feed.
   */
  waitForRateLimit(idle: number): Promise<void>;
  /** A first pull commits a checkpoint at the next chunk boundary once its transaction has been open this long. */
  checkpointAfterMs: number;
  /** Says the run writes rows to the staging tables, which the engine clears when the run ends. */
  staging(): void;
  /** Reports a fetched page: progress on the run row, and the point where a run may be aborted. */
  pageFetched(pages: number): Promise<void>;
  /**
   * The run's single transaction. `prepare` runs first and may take long (it may fetch and merge
   * pages progressively) but touches only the product's own tables; then the engine locks the item
   * row and refuses a disconnected item; then `apply` writes accounts, cursors and the rest, and the
   * engine finishes the run row in the same transaction. An `apply` that returns a `Checkpoint`
   * commits the same way but leaves the run going.
   */
  commit<R extends SyncCounts | Checkpoint>(apply: (tx: Executor) => Promise<R>, prepare?: (tx: Executor) => Promise<void>): Promise<R>;
}

export type AccountRow = typeof plaidAccounts.$inferSelect;

/** The account as the REST API shows it for this product. */
/** An account as the API shows it: the shared base every product returns; a product may add fields. */
export interface SerializedAccount {
  id: string;
  item_id: string;
  product: Product;
  status: AccountStatus;
  name: string;
  official_name: string | null;
  mask: string | null;
  type: string;
  subtype: string | null;
  /** Decimal strings exactly as stored; never JSON numbers. */
  balances: {
    available: string | null;
    current: string | null;
    limit: string | null;
    iso_currency_code: string | null;
    unofficial_currency_code: string | null;
    updated_at: string | null;
  };
  [field: string]: unknown;
}

/** The account types a product reads: every subtype of a type (`'all'`) or only the listed ones. */
export type AccountCoverage = Partial<Record<AccountType, 'all' | readonly AccountSubtype[]>>;

/** A webhook as `TYPE/CODE`; only pairs `webhook-schemas.ts` parses can be named. */
export type WebhookPair = `${KnownWebhook['webhook_type']}/${KnownWebhook['webhook_code']}`;

/**
 * One Plaid product: everything about it that differs from the other products. Services reach
 * products only through `REGISTRY[product]`; the queue names, the Link token's product lists, the
 * account → product rule and the webhook dispatch table are derived from these entries.
 */
export interface RegistryEntry {
  product: Product;
  /** Plaid's name for it in Link token lists and `/item/get`. */
  plaidProduct: Products;
  /** Its own sync queue, so a product with long runs never holds up another's jobs. */
  queue: string;
  /** The accounts it reads (docs/api.md, "The account → product rule"); ties go to the earlier product in `PRODUCTS`. */
  accounts: AccountCoverage;
  /** The webhooks that mean its data changed at Plaid: each enqueues a sync of this product. */
  webhooks: readonly WebhookPair[];
  sync(ctx: ProductSyncContext): Promise<SyncCounts>;
  serializeAccount(account: AccountRow): SerializedAccount;
}
