import { createHash, timingSafeEqual } from 'node:crypto';
import { inlineSignatureChecker, type SignatureChecker } from './signature-checker.js';
import { WebhookVerificationError } from './verification-error.js';
import type { VerificationKeyCache } from './verification-keys.js';

/** Plaid: reject a webhook whose token was issued more than 5 minutes ago (replay protection). */
const MAX_TOKEN_AGE_SECONDS = 5 * 60;
/**
 * How far ahead of our clock a token's `iat` (or `nbf`) may be: two well-synchronised clocks still
 * differ by a second or two, and refusing a genuine webhook for that makes Plaid retry it for a day.
 */
export const MAX_CLOCK_SKEW_SECONDS = 30;
/** A real token is a few hundred bytes; anything far larger is not worth decoding. */
const MAX_HEADER_LENGTH = 4096;
const SHA256_HEX = /^[0-9a-f]{64}$/i;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** An ES256 signature in JWS form: r and s, 32 bytes each (IEEE P1363), not DER. */
const ES256_SIGNATURE_BYTES = 64;

export interface WebhookVerifierOptions {
  keys: VerificationKeyCache;
  /** Seconds since the epoch; injectable so tests can age a token. */
  now?: () => number;
  /** Where the ES256 signature is checked; on the calling thread unless given. */
  signatures?: SignatureChecker;
}

/** What a verified token proves, for the duplicate check. */
export interface VerifiedToken {
  /**
   * SHA-256 (hex) of the signing input (`header.payload`, what Plaid signed) and the signature in
   * its low-S form. An ECDSA signature is malleable: `(r, n − s)` verifies as well as `(r, s)`, so
   * the token's text cannot identify a delivery, and high-S signatures cannot be refused either
   * (nothing says Plaid's signer normalises s). `r` is Plaid's random nonce, so two deliveries of the
   * same body in the same second still differ, while a captured token re-signed as its twin does not.
   */
  deliverySha256: string;
  /** SHA-256 (hex) of the body, computed for the check against `request_body_sha256`: intake keeps it. */
  bodySha256: string;
}

/** The order of P-256's base point; `s` and `n − s` are the two signatures of one signing. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function lowS(signature: Buffer): Buffer {
  const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
  if (s <= P256_ORDER / 2n) return signature;
  const low = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
  return Buffer.concat([signature.subarray(0, 32), low]);
}

export type WebhookVerifier = (rawBody: Uint8Array, header: string | undefined) => Promise<VerifiedToken>;

/**
 * Checks a delivery the way Plaid specifies: an ES256 JWS (compact form) signed by a key Plaid
 * vouches for, issued at most 5 minutes ago, whose `request_body_sha256` is the hash of exactly these
 * bytes. Throws `WebhookVerificationError` (the caller answers 401) or `VerificationKeyUnavailableError`.
 *
 * The token is checked with node's `crypto.verify` on the cached key object (by `signatures`: in the
 * service, on a worker thread for checks that arrive together) rather than through a WebCrypto-based JWT library: every webhook pays for this check, and the WebCrypto path (algorithm
 * normalisation, a thread-pool job and its promise per call) cost more than the signature itself.
 * The checks are the ones such a library makes for this profile: exactly one algorithm, no `crit`
 * extensions, `iat` present, not older than the limit and at most `MAX_CLOCK_SKEW_SECONDS` ahead of
 * our clock, `exp` and `nbf` if given (`nbf` with the same skew).
 */
export function createWebhookVerifier({ keys, now = () => Math.floor(Date.now() / 1000), signatures = inlineSignatureChecker }: WebhookVerifierOptions): WebhookVerifier {
  return async (rawBody, header) => {
    if (header === undefined || header === '') throw new WebhookVerificationError('missing_header');
    if (header.length > MAX_HEADER_LENGTH) throw new WebhookVerificationError('malformed');
    const parts = header.split('.');
    if (parts.length !== 3) throw new WebhookVerificationError('malformed');
    const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];

    const protectedHeader = decodeJson(encodedHeader);
    // Checked before any key lookup, so `none` and HMAC tokens never reach a key at all.
    if (protectedHeader.alg !== 'ES256') throw new WebhookVerificationError('algorithm');
    if (typeof protectedHeader.kid !== 'string' || protectedHeader.kid === '') throw new WebhookVerificationError('malformed');
    // A token that asks for extensions we do not implement must be refused (RFC 7515 §4.1.11).
    if (protectedHeader.crit !== undefined || protectedHeader.b64 !== undefined) throw new WebhookVerificationError('malformed');
    if (!BASE64URL.test(encodedPayload) || !BASE64URL.test(encodedSignature)) throw new WebhookVerificationError('malformed');

    const key = await keys.get(protectedHeader.kid);
    const signature = Buffer.from(encodedSignature, 'base64url');
    if (signature.byteLength !== ES256_SIGNATURE_BYTES) throw new WebhookVerificationError('signature');
    // node's decoder ignores padding and the unused low bits of the last character, so several
    // spellings decode to one signature; only the one an encoder writes (RFC 7515: no padding) is taken.
    if (signature.toString('base64url') !== encodedSignature) throw new WebhookVerificationError('malformed');
    const signed = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii');
    if (!(await signatures.verify(key, signed, signature))) throw new WebhookVerificationError('signature');

    const payload = decodeJson(encodedPayload);
    checkTimes(payload, now());

    const claimed = payload.request_body_sha256;
    if (typeof claimed !== 'string' || !SHA256_HEX.test(claimed)) throw new WebhookVerificationError('body_hash');
    const actual = createHash('sha256').update(rawBody).digest();
    if (!timingSafeEqual(actual, Buffer.from(claimed, 'hex'))) throw new WebhookVerificationError('body_hash');
    return {
      deliverySha256: createHash('sha256').update(signed).update('.').update(lowS(signature)).digest('hex'),
      bodySha256: actual.toString('hex'),
    };
  };
}

function decodeJson(part: string): Record<string, unknown> {
  if (!BASE64URL.test(part)) throw new WebhookVerificationError('malformed');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new WebhookVerificationError('malformed');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WebhookVerificationError('malformed');
  return value as Record<string, unknown>;
}

function numericDate(payload: Record<string, unknown>, claim: string): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new WebhookVerificationError('stale');
  return value;
}

function checkTimes(payload: Record<string, unknown>, now: number): void {
  const issuedAt = numericDate(payload, 'iat');
  if (issuedAt === undefined) throw new WebhookVerificationError('stale');
  const age = now - issuedAt;
  if (age > MAX_TOKEN_AGE_SECONDS || age < -MAX_CLOCK_SKEW_SECONDS) throw new WebhookVerificationError('stale');
  const notBefore = numericDate(payload, 'nbf');
  if (notBefore !== undefined && notBefore > now + MAX_CLOCK_SKEW_SECONDS) throw new WebhookVerificationError('stale');
  const expires = numericDate(payload, 'exp');
  if (expires !== undefined && expires <= now) throw new WebhookVerificationError('stale');
}
