import type { Clock } from './clock.js';

interface Limit {
  perItem: number;
  perClient: number;
  code: string;
}

/** Plaid's Sandbox per-minute limits (per Item, per client) and the code each returns. */
const LIMITS: Record<string, Limit> = {
  '/transactions/sync': { perItem: 50, perClient: 1_000, code: 'TRANSACTIONS_SYNC_LIMIT' },
  '/item/get': { perItem: 40, perClient: 5_000, code: 'ITEM_GET_LIMIT' },
  '/accounts/get': { perItem: 100, perClient: 5_000, code: 'ACCOUNTS_LIMIT' },
  '/investments/holdings/get': { perItem: 100, perClient: 1_000, code: 'INVESTMENT_HOLDINGS_GET_LIMIT' },
  '/investments/transactions/get': { perItem: 100, perClient: 1_000, code: 'INVESTMENT_TRANSACTIONS_LIMIT' },
  '/liabilities/get': { perItem: 10, perClient: 1_000, code: 'RATE_LIMIT' },
  '/transactions/refresh': { perItem: 2, perClient: 100, code: 'TRANSACTIONS_REFRESH_LIMIT' },
  '/item/remove': { perItem: 100, perClient: 500, code: 'RATE_LIMIT' },
  // Limited per client only, with a code of its own (Plaid's rate-limit error reference).
  '/institutions/get_by_id': { perItem: Infinity, perClient: 400, code: 'INSTITUTIONS_GET_BY_ID_LIMIT' },
};

/** The RATE_LIMIT_EXCEEDED error_code Plaid uses for an endpoint. */
export function rateLimitCode(endpoint: string): string {
  return LIMITS[endpoint]?.code ?? 'RATE_LIMIT';
}

/** Fixed one-minute windows (scaled by timeScale), counted per access token and per client. */
export class RateLimiter {
  enabled = false;
  private window = -1;
  private readonly counts = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** Counts the call and returns the error code if it is over a limit. */
  check(endpoint: string, clientId: string, accessToken: string | undefined): string | null {
    const limit = LIMITS[endpoint];
    if (!this.enabled || !limit) return null;
    const window = Math.floor(this.clock.now() / Math.max(1, this.clock.scaled(60_000)));
    if (window !== this.window) {
      this.window = window;
      this.counts.clear();
    }
    const clientKey = `${endpoint} client ${clientId}`;
    const clientCount = this.bump(clientKey);
    const itemCount = accessToken === undefined ? 0 : this.bump(`${endpoint} item ${accessToken}`);
    return clientCount > limit.perClient || itemCount > limit.perItem ? limit.code : null;
  }

  reset(): void {
    this.counts.clear();
  }

  private bump(key: string): number {
    const next = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, next);
    return next;
  }
}
