import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWKPublicKey, PlaidApi } from 'plaid';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { classifyPlaidError } from '../plaid/errors.js';
import { VerificationKeyUnavailableError, WebhookVerificationError } from './verification-error.js';

export type VerificationKey = KeyObject;

interface CachedKey {
  jwk: JWKPublicKey;
  key: VerificationKey;
  fetchedAt: number;
}

export interface VerificationKeyCacheOptions {
  /** Fetches one key by id; the default calls Plaid's `/webhook_verification_key/get`. */
  fetchKey: (kid: string) => Promise<JWKPublicKey>;
  /** A cached key still marked unexpired is fetched again after this long, to notice a new `expired_at`. */
  refreshMs?: number;
  /** An id Plaid did not know is not asked about again for this long. */
  unknownKidTtlMs?: number;
  /**
   * Key fetches this process starts per minute at most (a fixed one-minute window), whatever the
   * ids: every forged delivery with a new `kid` would otherwise make a call with our credentials.
   */
  fetchesPerMinute?: number;
  /** The budget's window; a minute unless a test needs it to turn sooner. */
  budgetWindowSeconds?: number;
  /** Key fetches in flight at once at most; further ones wait for a slot (they already hold a budget token). */
  maxConcurrentFetches?: number;
  now?: () => number;
}

const MAX_UNKNOWN_KIDS = 10_000;
/** The code of the 503 a delivery gets when its key would need a fetch the budget does not allow now. */
export const KEY_FETCH_BUDGET_EXHAUSTED = 'KEY_FETCH_BUDGET_EXHAUSTED';

export function plaidKeyFetcher(plaid: PlaidApi) {
  return async (kid: string): Promise<JWKPublicKey> => {
    try {
      const { data } = await plaid.webhookVerificationKeyGet({ key_id: kid });
      return data.key;
    } catch (error) {
      const classified = classifyPlaidError(error);
      // Plaid answers 400 INVALID_WEBHOOK_VERIFICATION_KEY_ID for an id it never issued.
      if (classified.httpStatus === 400) throw new WebhookVerificationError('unknown_key');
      throw new VerificationKeyUnavailableError(classified.code);
    }
  };
}

/**
 * Plaid's webhook signing keys by `kid`. Concurrent deliveries signed with a new key share one fetch;
 * a failed fetch is not cached (the next delivery tries again); a key with `expired_at` set is refused.
 *
 * Fetches are bounded for the whole process, not per `kid`: at most `fetchesPerMinute` start in a
 * minute and `maxConcurrentFetches` run at once. A delivery whose key would need a fetch past the
 * budget gets `VerificationKeyUnavailableError` (503: Plaid retries it later) without a Plaid call;
 * a key already cached is never refused for budget (a due refresh is skipped and the key served).
 * So a genuinely rotated key is fetched at its first delivery while the budget allows, and during a
 * flood of forged ids at one of Plaid's retries, once the window has turned.
 */
export class VerificationKeyCache {
  private readonly keys = new Map<string, CachedKey>();
  private readonly inFlight = new Map<string, Promise<CachedKey>>();
  private readonly unknown = new Map<string, number>();
  private readonly refreshMs: number;
  private readonly unknownKidTtlMs: number;
  private readonly now: () => number;
  private readonly budget: RateLimiterMemory;
  private readonly maxConcurrent: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: VerificationKeyCacheOptions) {
    this.refreshMs = options.refreshMs ?? 60 * 60 * 1000;
    this.unknownKidTtlMs = options.unknownKidTtlMs ?? 15 * 60 * 1000;
    this.now = options.now ?? Date.now;
    this.budget = new RateLimiterMemory({ points: options.fetchesPerMinute ?? 10, duration: options.budgetWindowSeconds ?? 60 });
    this.maxConcurrent = options.maxConcurrentFetches ?? 2;
  }

  async get(kid: string): Promise<VerificationKey> {
    let entry = this.keys.get(kid);
    if (entry && this.now() - entry.fetchedAt > this.refreshMs) {
      // A known key never queues for a fetch slot: it is refreshed now only if a slot and the budget
      // are free, and a refresh that cannot run or fails for a transient reason keeps serving the key
      // already verified once (the next delivery tries again).
      try {
        entry = await this.fetchOnce(kid, false);
      } catch (error) {
        if (!(error instanceof VerificationKeyUnavailableError)) throw error;
      }
    } else if (!entry) {
      const unknownUntil = this.unknown.get(kid);
      if (unknownUntil !== undefined && unknownUntil > this.now()) throw new WebhookVerificationError('unknown_key');
      entry = await this.fetchOnce(kid);
    }
    if (entry.jwk.expired_at !== null && entry.jwk.expired_at !== undefined) throw new WebhookVerificationError('expired_key');
    return entry.key;
  }

  private fetchOnce(kid: string, queue = true): Promise<CachedKey> {
    const pending = this.inFlight.get(kid);
    if (pending) return pending;
    const fetching = this.load(kid, queue).finally(() => this.inFlight.delete(kid));
    this.inFlight.set(kid, fetching);
    return fetching;
  }

  /** Takes a token of the minute's budget (or refuses), then a fetch slot, waiting for one if `queue`. */
  private async slot(queue: boolean): Promise<() => void> {
    if (!queue && this.running >= this.maxConcurrent) throw new VerificationKeyUnavailableError(KEY_FETCH_BUDGET_EXHAUSTED);
    try {
      await this.budget.consume('key-fetch');
    } catch {
      throw new VerificationKeyUnavailableError(KEY_FETCH_BUDGET_EXHAUSTED);
    }
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    return () => {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `running` counts it throughout.
      if (next) next();
      else this.running -= 1;
    };
  }

  private async load(kid: string, queue: boolean): Promise<CachedKey> {
    const release = await this.slot(queue);
    let jwk: JWKPublicKey;
    try {
      jwk = await this.options.fetchKey(kid);
    } catch (error) {
      if (error instanceof WebhookVerificationError) this.rememberUnknown(kid);
      throw error;
    } finally {
      release();
    }
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || jwk.alg !== 'ES256') throw new WebhookVerificationError('algorithm');
    let key: KeyObject;
    try {
      key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
    } catch {
      throw new WebhookVerificationError('algorithm');
    }
    const entry = { jwk, key, fetchedAt: this.now() };
    this.keys.set(kid, entry);
    return entry;
  }

  private rememberUnknown(kid: string): void {
    this.keys.delete(kid);
    if (this.unknown.size >= MAX_UNKNOWN_KIDS) {
      const oldest = this.unknown.keys().next().value;
      if (oldest !== undefined) this.unknown.delete(oldest);
    }
    this.unknown.set(kid, this.now() + this.unknownKidTtlMs);
  }
}
