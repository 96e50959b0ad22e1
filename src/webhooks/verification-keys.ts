import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWKPublicKey, PlaidApi } from 'plaid';
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
  /** An id Plaid did not know is not asked about again for this long (forged ids cost no Plaid calls). */
  unknownKidTtlMs?: number;
  now?: () => number;
}

const MAX_UNKNOWN_KIDS = 1_000;

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
 */
export class VerificationKeyCache {
  private readonly keys = new Map<string, CachedKey>();
  private readonly inFlight = new Map<string, Promise<CachedKey>>();
  private readonly unknown = new Map<string, number>();
  private readonly refreshMs: number;
  private readonly unknownKidTtlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: VerificationKeyCacheOptions) {
    this.refreshMs = options.refreshMs ?? 60 * 60 * 1000;
    this.unknownKidTtlMs = options.unknownKidTtlMs ?? 60 * 1000;
    this.now = options.now ?? Date.now;
  }

  async get(kid: string): Promise<VerificationKey> {
    const cached = this.keys.get(kid);
    let entry = cached;
    if (!cached || this.now() - cached.fetchedAt > this.refreshMs) {
      const unknownUntil = this.unknown.get(kid);
      if (unknownUntil !== undefined && unknownUntil > this.now()) throw new WebhookVerificationError('unknown_key');
      try {
        entry = await this.fetchOnce(kid);
      } catch (error) {
        // A refresh that fails for a transient reason keeps serving the key already verified once.
        if (!(cached && error instanceof VerificationKeyUnavailableError)) throw error;
      }
    }
    if (!entry) throw new WebhookVerificationError('unknown_key');
    if (entry.jwk.expired_at !== null && entry.jwk.expired_at !== undefined) throw new WebhookVerificationError('expired_key');
    return entry.key;
  }

  private fetchOnce(kid: string): Promise<CachedKey> {
    const pending = this.inFlight.get(kid);
    if (pending) return pending;
    const fetching = this.load(kid).finally(() => this.inFlight.delete(kid));
    this.inFlight.set(kid, fetching);
    return fetching;
  }

  private async load(kid: string): Promise<CachedKey> {
    let jwk: JWKPublicKey;
    try {
      jwk = await this.options.fetchKey(kid);
    } catch (error) {
      if (error instanceof WebhookVerificationError) this.rememberUnknown(kid);
      throw error;
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
