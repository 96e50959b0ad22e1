import { ProviderSyncError, type SyncResult } from './sync-result.js';

export interface SyncTransactionsOptions {
  userId: string;
}

/** What every data provider offers the sync service; Plaid is the first, the seam is for the next. */
export interface ProviderAdapter {
  readonly provider: string;
  /** Brings the account's product data up to date; fatal failures throw `ProviderSyncError`. */
  syncTransactions(accountId: string, options: SyncTransactionsOptions): Promise<SyncResult>;
}

/** The part of an account row the registry needs; rows without a provider are Plaid's. */
export interface ProviderAccount {
  id: string;
  provider?: string | null;
}

export const DEFAULT_PROVIDER = 'plaid';

/** Chooses the adapter that owns an account. */
export class ProviderRegistry {
  private readonly adapters: ReadonlyMap<string, ProviderAdapter>;

  constructor(adapters: readonly ProviderAdapter[]) {
    this.adapters = new Map(adapters.map((adapter) => [adapter.provider, adapter]));
  }

  forAccount(account: ProviderAccount): ProviderAdapter {
    const provider = account.provider ?? DEFAULT_PROVIDER;
    const adapter = this.adapters.get(provider);
    if (!adapter) throw new ProviderSyncError(provider, 'PROVIDER_UNAVAILABLE', `no adapter is registered for provider "${provider}"`);
    return adapter;
  }
}
