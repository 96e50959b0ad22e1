import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VerificationKeyCache } from '../../src/webhooks/verification-keys.js';
import { createWebhookVerifier, MAX_CLOCK_SKEW_SECONDS } from '../../src/webhooks/webhook-verifier.js';
import { createTestSigner, plaidBody } from '../support/webhook-signing.js';

const body = plaidBody({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: 'item-1' });
const bytes = new TextEncoder().encode(body);

async function setup() {
  const signer = await createTestSigner();
  const verify = createWebhookVerifier({ keys: new VerificationKeyCache({ fetchKey: signer.fetchKey }) });
  return { signer, verify };
}

describe('webhook verifier', () => {
  it('accepts a token Plaid would send for exactly these bytes', async () => {
    const { signer, verify } = await setup();
    await expect(verify(bytes, await signer.sign(body))).resolves.toMatchObject({
      deliverySha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      // The body's own hash, which intake records (webhook_events.body_sha256) without hashing again.
      bodySha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it('refuses tokens whose times are wrong: no iat, iat in the future, expired, not yet valid, not a number', async () => {
    const { signer, verify } = await setup();
    const now = Math.floor(Date.now() / 1000);
    for (const claims of [{ iat: undefined }, { iat: now + 120 }, { exp: now - 1 }, { nbf: now + 120 }, { iat: 'yesterday' }]) {
      await expect(verify(bytes, await signer.sign(body, { claims }))).rejects.toMatchObject({ reason: 'stale' });
    }
    await expect(verify(bytes, await signer.sign(body, { iatSecondsAgo: 301 }))).rejects.toMatchObject({ reason: 'stale' });
    await expect(verify(bytes, await signer.sign(body, { iatSecondsAgo: 299 }))).resolves.toMatchObject({ deliverySha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it(`accepts an iat up to ${MAX_CLOCK_SKEW_SECONDS} s ahead of our clock (Plaid's clock a little fast), not more`, async () => {
    const signer = await createTestSigner();
    const now = 1_900_000_000;
    const verify = createWebhookVerifier({ keys: new VerificationKeyCache({ fetchKey: signer.fetchKey }), now: () => now });
    const ok = { deliverySha256: expect.stringMatching(/^[0-9a-f]{64}$/) };
    for (const ahead of [2, MAX_CLOCK_SKEW_SECONDS]) {
      await expect(verify(bytes, await signer.sign(body, { claims: { iat: now + ahead } }))).resolves.toMatchObject(ok);
      await expect(verify(bytes, await signer.sign(body, { claims: { iat: now, nbf: now + ahead } }))).resolves.toMatchObject(ok);
    }
    await expect(verify(bytes, await signer.sign(body, { claims: { iat: now + MAX_CLOCK_SKEW_SECONDS + 1 } }))).rejects.toMatchObject({ reason: 'stale' });
    await expect(verify(bytes, await signer.sign(body, { claims: { iat: now - 300 } }))).resolves.toMatchObject(ok);
    await expect(verify(bytes, await signer.sign(body, { claims: { iat: now - 301 } }))).rejects.toMatchObject({ reason: 'stale' });
  });

  it('refuses extensions it does not implement, and headers or payloads that are not JSON objects', async () => {
    const { signer, verify } = await setup();
    const token = await signer.sign(body);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const withCrit = Buffer.from(JSON.stringify({ alg: 'ES256', kid: signer.kid, crit: ['exp'], exp: 1 })).toString('base64url');
    await expect(verify(bytes, `${withCrit}.${payload}.${signature}`)).rejects.toMatchObject({ reason: 'malformed' });
    const notObject = Buffer.from('[1,2]').toString('base64url');
    await expect(verify(bytes, `${notObject}.${payload}.${signature}`)).rejects.toMatchObject({ reason: 'malformed' });
    await expect(verify(bytes, `${header}.${payload}`)).rejects.toMatchObject({ reason: 'malformed' });
    await expect(verify(bytes, `${header}.${payload}.${signature}.x`)).rejects.toMatchObject({ reason: 'malformed' });
    await expect(verify(bytes, `${header}.${payload}.${signature}=`)).rejects.toMatchObject({ reason: 'malformed' });
  });

  it('refuses a signature of the wrong length or of other content', async () => {
    const { signer, verify } = await setup();
    const [header, payload, signature] = (await signer.sign(body)).split('.') as [string, string, string];
    const short = Buffer.from(signature, 'base64url').subarray(0, 63).toString('base64url');
    await expect(verify(bytes, `${header}.${payload}.${short}`)).rejects.toMatchObject({ reason: 'signature' });
    // The payload of one token under the signature of another.
    const [, otherPayload] = (await signer.sign(plaidBody({ other: true }))).split('.') as [string, string];
    await expect(verify(bytes, `${header}.${otherPayload}.${signature}`)).rejects.toMatchObject({ reason: 'signature' });
  });

  it('refuses a token without a key id before fetching any key', async () => {
    const { signer, verify } = await setup();
    await expect(verify(bytes, await signer.sign(body, { header: { kid: '' } }))).rejects.toMatchObject({ reason: 'malformed' });
    expect(signer.fetches).toEqual([]);
  });
});
