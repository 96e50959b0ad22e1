import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { WebhookVerificationError } from './verification-error.js';
import type { VerificationKeyCache } from './verification-keys.js';

/** Plaid: reject a webhook whose token was issued more than 5 minutes ago (replay protection). */
const MAX_TOKEN_AGE_SECONDS = 5 * 60;
/** A real token is a few hundred bytes; anything far larger is not worth decoding. */
const MAX_HEADER_LENGTH = 4096;
const SHA256_HEX = /^[0-9a-f]{64}$/i;

export interface WebhookVerifierOptions {
  keys: VerificationKeyCache;
  /** Seconds since the epoch; injectable so tests can age a token. */
  now?: () => number;
}

export type WebhookVerifier = (rawBody: Uint8Array, header: string | undefined) => Promise<void>;

/**
 * Checks a delivery the way Plaid specifies: an ES256 JWT signed by a key Plaid vouches for, issued
 * at most 5 minutes ago, whose `request_body_sha256` is the hash of exactly these bytes.
 * Throws `WebhookVerificationError` (the caller answers 401) or `VerificationKeyUnavailableError`.
 */
export function createWebhookVerifier({ keys, now }: WebhookVerifierOptions): WebhookVerifier {
  return async (rawBody, header) => {
    if (header === undefined || header === '') throw new WebhookVerificationError('missing_header');
    if (header.length > MAX_HEADER_LENGTH) throw new WebhookVerificationError('malformed');

    let protectedHeader;
    try {
      protectedHeader = decodeProtectedHeader(header);
    } catch {
      throw new WebhookVerificationError('malformed');
    }
    // Checked before any key lookup, so `none` and HMAC tokens never reach a key at all.
    if (protectedHeader.alg !== 'ES256') throw new WebhookVerificationError('algorithm');
    if (typeof protectedHeader.kid !== 'string' || protectedHeader.kid === '') throw new WebhookVerificationError('malformed');

    const key = await keys.get(protectedHeader.kid);
    let payload;
    try {
      ({ payload } = await jwtVerify(header, key, {
        algorithms: ['ES256'],
        maxTokenAge: MAX_TOKEN_AGE_SECONDS,
        ...(now ? { currentDate: new Date(now() * 1000) } : {}),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTClaimValidationFailed || error instanceof joseErrors.JWTExpired) {
        throw new WebhookVerificationError('stale');
      }
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw new WebhookVerificationError('signature');
      throw new WebhookVerificationError('malformed');
    }

    const claimed = payload.request_body_sha256;
    if (typeof claimed !== 'string' || !SHA256_HEX.test(claimed)) throw new WebhookVerificationError('body_hash');
    const actual = createHash('sha256').update(rawBody).digest();
    if (!timingSafeEqual(actual, Buffer.from(claimed, 'hex'))) throw new WebhookVerificationError('body_hash');
  };
}
