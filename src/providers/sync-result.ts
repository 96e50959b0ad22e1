/** What a provider adapter reports for one sync: whether data changed, and what went wrong. */
export interface SyncResult {
  updated: boolean;
  errors: string[];
}

/**
 * A sync failure the caller cannot fix by retrying now: the provider's own error code is kept so
 * routes and logs can say what happened (`ITEM_LOGIN_REQUIRED`, `ITEM_NOT_FOUND`, ...).
 */
export class ProviderSyncError extends Error {
  override name = 'ProviderSyncError';

  constructor(
    readonly provider: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The line the REST API puts in `errors`: the code first, so apps can match on it. */
  describe(): string {
    return `${this.code}: ${this.message}`;
  }
}
