import { isIPv6 } from 'node:net';
import { sql } from 'drizzle-orm';
import { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';
import type { Database } from '../db/client.js';
import { adminLoginLimits } from '../db/schema/index.js';

export interface LoginLimits {
  windowSeconds: number;
  maxFailuresPerAddress: number;
  maxFailuresTotal: number;
}

export type LoginVerdict = { allowed: true } | { allowed: false; scope: 'address' | 'account'; retryAfterSeconds: number };

/** There is one admin account (one password), so one counter for it. */
const ACCOUNT_KEY = 'admin';
/** Expired counters removed per attempt: enough to keep up with the two rows an attempt can create. */
const PRUNE_BATCH = 50;

/**
 * The key an address is counted under. An IPv6 client usually holds a whole /64, so it is counted as
 * one; an IPv4 client written as IPv6 (`::ffff:a.b.c.d`) is the IPv4 address.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return address.slice(0, 64);
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Failed logins counted in PostgreSQL (rate-limiter-flexible's Drizzle store, one atomic upsert per
 * counter), so every instance shares one budget per address and one for the account, and memory does
 * not grow with the number of addresses. Each attempt is taken from the budgets before the password
 * is checked: concurrent guesses, on any instance, cannot overshoot the limit.
 */
export class LoginLimiter {
  private readonly perAddress: RateLimiterDrizzle;
  private readonly perAccount: RateLimiterDrizzle;

  constructor(
    private readonly db: Database,
    limits: LoginLimits,
  ) {
    const common = { storeClient: db, schema: adminLoginLimits, duration: limits.windowSeconds, clearExpiredByTimeout: false };
    this.perAddress = new RateLimiterDrizzle({ ...common, keyPrefix: 'address', points: limits.maxFailuresPerAddress });
    this.perAccount = new RateLimiterDrizzle({ ...common, keyPrefix: 'account', points: limits.maxFailuresTotal });
  }

  /**
   * Counts one attempt from `address`. An address over its budget is refused without touching the
   * account's, so one noisy client cannot use up more of the account's budget than its own.
   */
  async attempt(address: string): Promise<LoginVerdict> {
    await this.pruneExpired();
    const byAddress = await take(this.perAddress, addressKey(address));
    if (byAddress > 0) return { allowed: false, scope: 'address', retryAfterSeconds: byAddress };
    const byAccount = await take(this.perAccount, ACCOUNT_KEY);
    if (byAccount > 0) return { allowed: false, scope: 'account', retryAfterSeconds: byAccount };
    return { allowed: true };
  }

  /** A correct password: the address starts afresh and the attempt no longer counts against the account. */
  async succeeded(address: string): Promise<void> {
    await this.perAddress.delete(addressKey(address));
    await this.perAccount.reward(ACCOUNT_KEY, 1);
  }

  /** A few expired counters per attempt, so the table stays as small as the addresses seen in one window. */
  private async pruneExpired(): Promise<void> {
    await this.db.execute(sql`
      delete from ${adminLoginLimits} where ${adminLoginLimits.key} in (
        select ${adminLoginLimits.key} from ${adminLoginLimits} where ${adminLoginLimits.expire} < now() limit ${PRUNE_BATCH})`);
  }
}

/** Takes one point; answers 0 when allowed, else the seconds until the window ends. */
async function take(limiter: RateLimiterDrizzle, key: string): Promise<number> {
  try {
    await limiter.consume(key);
    return 0;
  } catch (error) {
    if (error instanceof RateLimiterRes) return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    throw error;
  }
}
