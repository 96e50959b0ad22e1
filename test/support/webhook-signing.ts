import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { JWKPublicKey } from 'plaid';
import { WebhookVerificationError } from '../../src/webhooks/verification-error.js';
import { actionFor } from '../../src/webhooks/webhook-actions.js';
import type { Delivery } from '../../src/webhooks/webhook-recorder.js';
import { parseWebhook } from '../../src/webhooks/webhook-schemas.js';

/**
 * A local stand-in for Plaid's signing side: an ES256 key, the JWK `/webhook_verification_key/get`
 * would return for it, and signed deliveries of any body. For intake tests that need bodies the
 * simulator never sends (unknown codes, malformed fields).
 */
export async function createTestSigner() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const exported = await exportJWK(publicKey);
  const kid = randomUUID();
  const jwk: JWKPublicKey = {
    alg: 'ES256', crv: 'P-256', kid, kty: 'EC', use: 'sig', x: exported.x!, y: exported.y!,
    created_at: Math.floor(Date.now() / 1000), expired_at: null,
  };
  const fetches: string[] = [];
  return {
    kid,
    jwk,
    fetches,
    fetchKey: (requested: string): Promise<JWKPublicKey> => {
      fetches.push(requested);
      return requested === kid ? Promise.resolve({ ...jwk }) : Promise.reject(new WebhookVerificationError('unknown_key'));
    },
    /** `claims` and `header` add to (or, with `undefined`, remove from) what Plaid would send. */
    async sign(body: string, options: { iatSecondsAgo?: number; claims?: Record<string, unknown>; header?: Record<string, unknown> } = {}): Promise<string> {
      const iat = Math.floor(Date.now() / 1000) - (options.iatSecondsAgo ?? 0);
      const claims = { request_body_sha256: createHash('sha256').update(body).digest('hex'), iat, ...options.claims };
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT', ...options.header })
        .sign(privateKey);
    },
  };
}

/** Plaid's own formatting: 2-space indented JSON, no trailing newline. */
export function plaidBody(payload: object): string {
  return JSON.stringify(payload, null, 2);
}

/** A verified delivery as the intake hands it to the recorder: the body (or the payload as Plaid writes it), its own token. */
export function recorderDelivery(payload: object | string): Delivery {
  const text = typeof payload === 'string' ? payload : plaidBody(payload);
  const parsed = parseWebhook(text);
  return {
    type: parsed.webhook.webhook_type,
    code: parsed.webhook.webhook_code,
    plaidItemId: parsed.webhook.item_id ?? null,
    sha256: createHash('sha256').update(text).digest('hex'),
    verificationSha256: createHash('sha256').update(randomUUID()).digest('hex'),
    text,
    action: actionFor(parsed),
  };
}
