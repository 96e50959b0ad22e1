import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { isProduct, PRODUCTS, plaidAccounts, type Product } from '../db/schema/index.js';
import { AppError, NotFoundError, ValidationError } from '../http/errors.js';
import type { Logger } from '../logger.js';
import { createPlaidAdapter } from '../providers/plaid/plaid-adapter.js';
import { ProviderRegistry } from '../providers/provider-registry.js';
import { ProviderSyncError, type SyncResult } from '../providers/sync-result.js';
import type { SyncOutcome } from '../sync/sync-outcome.js';
import type { SyncRequest, SyncScheduler } from '../sync/sync-scheduler.js';

/** How long a REST caller waits for a run before hearing that it continues in the background. */
export const DEFAULT_SYNC_WAIT_MS = 25_000;

export interface SyncServiceDeps {
  db: Database;
  syncs: SyncScheduler;
  logger: Logger;
  /** Overrides the adapters (tests; a second provider). */
  providers?: ProviderRegistry;
  waitMs?: number;
}

export interface SyncProductInput {
  product: string;
  accountId: string;
  user: { id: string };
}

export const STILL_RUNNING = 'SYNC_IN_PROGRESS: the sync is still running and will finish in the background';

function runnerOf(syncs: SyncScheduler): { run(request: SyncRequest): Promise<SyncOutcome> } {
  const run = syncs.run?.bind(syncs);
  if (!run) throw new AppError(503, 'sync_unavailable', 'syncs cannot be run from this instance');
  return { run };
}

function providersFor(deps: SyncServiceDeps): ProviderRegistry {
  return deps.providers ?? new ProviderRegistry([createPlaidAdapter({ db: deps.db, runner: runnerOf(deps.syncs) })]);
}

/**
 * Syncs the product data of one of the caller's accounts and answers `{ updated, errors }`.
 * Affinity is enforced: the account must belong to the product in the path. Provider failures are
 * answers, not errors; a run longer than the wait is reported as still running and keeps going.
 */
export async function syncProduct(deps: SyncServiceDeps, input: SyncProductInput): Promise<SyncResult> {
  if (!isProduct(input.product)) throw new ValidationError(`product: must be one of ${PRODUCTS.join(', ')}`);
  const [account] = await deps.db
    .select({ id: plaidAccounts.id, product: plaidAccounts.product })
    .from(plaidAccounts)
    .where(and(eq(plaidAccounts.id, input.accountId), eq(plaidAccounts.userId, input.user.id)));
  if (!account) throw new NotFoundError('account');
  if (account.product !== input.product) {
    throw new ValidationError(`account_id: the account is scoped to product "${account.product}", not "${input.product}"`);
  }
  const pending = providersFor(deps).forAccount(account).syncTransactions(account.id, { userId: input.user.id });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), deps.waitMs ?? DEFAULT_SYNC_WAIT_MS);
  });
  try {
    const result = await Promise.race([pending, deadline]);
    if (result !== 'timeout') return result;
    // The run goes on; its failure (if any) is recorded on its row and in telemetry, not here.
    pending.catch(() => undefined);
    return { updated: false, errors: [STILL_RUNNING] };
  } catch (error) {
    if (error instanceof ProviderSyncError) return { updated: false, errors: [error.describe()] };
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The run verb for workers and operators: one (item, product) sync, joined if one is running. */
export function runProductSync(deps: Pick<SyncServiceDeps, 'syncs'>, request: { itemId: string; product: Product } & Partial<SyncRequest>): Promise<SyncOutcome> {
  return runnerOf(deps.syncs).run({ trigger: 'admin', ...request });
}
