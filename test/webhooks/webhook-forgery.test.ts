import { decodeProtectedHeader, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSignatureWorker } from '../../src/webhooks/signature-checker.js';
import { buildTestApp, captureLogs } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/webhook-items.js';
import { recordingWorkQueue } from '../support/webhook-queue.js';
import { insertItem, only } from '../support/webhook-items.js';
import { startWebhookSimulator, type CapturedWebhook } from '../support/webhook-simulator.js';

const WEBHOOK_URL = 'https://service.test/webhooks/plaid';

describe('POST /webhooks/plaid verification', () => {
  let database: TestDatabase;
  let simulator: ReturnType<typeof startWebhookSimulator>;
  let plaidItemId: string;
  let signed: CapturedWebhook;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = startWebhookSimulator();
    const item = simulator.control.createItem({ products: ['investments' as never], webhook: WEBHOOK_URL });
    plaidItemId = item.itemId;
    const { deps } = buildTestApp(database);
    await insertItem(deps, { plaidItemId, accessToken: item.accessToken, product: 'investments' });
    simulator.control.updateHoldings(plaidItemId, { added: 1 });
    signed = simulator.last();
  });
  afterAll(async () => {
    await simulator.close();
    await database.drop();
  });
  beforeEach(async () => {
    await database.sql`delete from webhook_events`;
  });

  /** A fresh app per case: its key cache starts empty, as after a restart. */
  function post(body: string, headers: Record<string, string>) {
    const queue = recordingWorkQueue();
    const { app, deps, logs } = buildTestApp(database, { queue });
    const response = app.request('/webhooks/plaid', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { response, queue, deps, logs };
  }

  async function expectRejected(body: string, headers: Record<string, string>, reason: string) {
    const { response, queue, deps, logs } = post(body, headers);
    const res = await response;
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const { count } = only(await database.sql<{ count: number }[]>`select count(*)::int as count from webhook_events`);
    expect(count).toBe(0);
    expect(queue.syncs).toHaveLength(0);
    expect(queue.itemEvents).toHaveLength(0);
    const metrics = await deps.metrics.registry.getSingleMetricAsString('plaid_webhook_signature_rejected_total');
    expect(metrics).toContain(`reason="${reason}"`);
    // Logged without the body.
    const line = logs.find((entry) => entry.msg === 'webhook_rejected');
    expect(line).toMatchObject({ reason });
    expect(JSON.stringify(logs)).not.toContain(plaidItemId);
  }

  it('accepts a simulator-signed webhook, records it and enqueues its sync', async () => {
    const { response, queue } = post(signed.body, signed.headers);
    const res = await response;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, outcome: 'processed' });
    // The job is made by the dispatcher after the commit (and the answer).
    await eventually(() => Promise.resolve(queue.syncs.length > 0 ? true : undefined), 10_000, 'the sync job');
    expect(queue.syncs).toEqual([expect.objectContaining({ product: 'investments', trigger: 'webhook' })]);
    const rows = await database.sql`select webhook_type, webhook_code, plaid_item_id, status from webhook_events`;
    expect(rows).toEqual([{ webhook_type: 'HOLDINGS', webhook_code: 'DEFAULT_UPDATE', plaid_item_id: plaidItemId, status: 'processed' }]);
  });

  it('refuses a delivery without the Plaid-Verification header', async () => {
    await expectRejected(signed.body, {}, 'missing_header');
  });

  it('refuses a malformed JWT', async () => {
    await expectRejected(signed.body, { 'plaid-verification': 'not-a.jwt' }, 'malformed');
    await expectRejected(signed.body, { 'plaid-verification': 'x'.repeat(5000) }, 'malformed');
  });

  it('refuses alg none and HS256 tokens, even with a valid kid and body hash', async () => {
    const kid = simulator.control.webhookKeys()[0]!.kid;
    const claims = { request_body_sha256: createHash('sha256').update(signed.body).digest('hex') };
    const none = new UnsecuredJWT(claims).setIssuedAt().encode();
    const noneWithKid = `${Buffer.from(JSON.stringify({ alg: 'none', kid })).toString('base64url')}.${none.split('.')[1]}.`;
    await expectRejected(signed.body, { 'plaid-verification': noneWithKid }, 'algorithm');
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).setIssuedAt().sign(new TextEncoder().encode('guessed-secret-0123456789abcdef'));
    await expectRejected(signed.body, { 'plaid-verification': hs256 }, 'algorithm');
  });

  it('refuses a token signed by a key Plaid never issued', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const claims = { request_body_sha256: createHash('sha256').update(signed.body).digest('hex') };
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'no-such-key' }).setIssuedAt().sign(privateKey);
    await expectRejected(signed.body, { 'plaid-verification': forged }, 'unknown_key');
    // A token naming a real kid but signed by another key fails the signature check.
    const kid = simulator.control.webhookKeys()[0]!.kid;
    const wrongKey = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).setIssuedAt().sign(privateKey);
    await expectRejected(signed.body, { 'plaid-verification': wrongKey }, 'signature');
  });

  it('refuses a token whose iat is more than 5 minutes old', async () => {
    simulator.state.clockOffsetMs = 6 * 60 * 1000;
    try {
      simulator.control.updateHoldings(plaidItemId, { added: 1 });
    } finally {
      simulator.state.clockOffsetMs = 0;
    }
    const old = simulator.last();
    await expectRejected(old.body, old.headers, 'stale');
  });

  it('refuses a body changed by one byte, and the same JSON re-serialised with other whitespace', async () => {
    const index = signed.body.indexOf('DEFAULT_UPDATE');
    const tampered = `${signed.body.slice(0, index)}E${signed.body.slice(index + 1)}`;
    expect(tampered.length).toBe(signed.body.length);
    await expectRejected(tampered, signed.headers, 'body_hash');
    await expectRejected(JSON.stringify(JSON.parse(signed.body)), signed.headers, 'body_hash');
    await expectRejected(JSON.stringify(JSON.parse(signed.body), null, 4), signed.headers, 'body_hash');
  });

  it('refuses a token signed with a key that has since expired', async () => {
    simulator.control.updateHoldings(plaidItemId, { added: 1 });
    const beforeRotation = simulator.last();
    simulator.control.rotateWebhookKey();
    await expectRejected(beforeRotation.body, beforeRotation.headers, 'expired_key');
    // The new key works.
    simulator.control.updateHoldings(plaidItemId, { added: 1 });
    const after = simulator.last();
    expect((await post(after.body, after.headers).response).status).toBe(200);
  });

  it('in a burst checked on the service’s signature worker, accepts every genuine delivery and refuses every forged one', async () => {
    const genuine = Array.from({ length: 8 }, () => {
      simulator.control.updateHoldings(plaidItemId, { added: 1 });
      return simulator.last();
    });
    const { privateKey } = await generateKeyPair('ES256');
    // The key that signs now (an earlier case rotated it): a forgery naming it fails only the signature.
    const { kid } = decodeProtectedHeader(genuine[0]!.headers['Plaid-Verification']!);
    const forged = await Promise.all(
      genuine.map(async ({ body }) => {
        const claims = { request_body_sha256: createHash('sha256').update(body).digest('hex') };
        const token = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: kid! }).setIssuedAt().sign(privateKey);
        return { body, headers: { 'plaid-verification': token } };
      }),
    );
    const { logger } = captureLogs();
    const signatureChecker = createSignatureWorker({ logger });
    try {
      const { app } = buildTestApp(database, { signatureChecker });
      const deliveries = genuine.flatMap((delivery, index) => [delivery, forged[index]!]);
      const statuses = await Promise.all(
        deliveries.map(async ({ body, headers }) => {
          const res = await app.request('/webhooks/plaid', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
          return res.status;
        }),
      );
      expect(statuses).toEqual(deliveries.map((_, index) => (index % 2 === 0 ? 200 : 401)));
      // They waited for the same key, so their signatures were checked together, off the request thread.
      expect(signatureChecker.stats()).toMatchObject({ inWorker: 16, inline: 0 });
      const { count } = only(await database.sql<{ count: number }[]>`select count(*)::int as count from webhook_events`);
      expect(count).toBe(8);
    } finally {
      await signatureChecker.close();
    }
  });

  it('answers 413 past the size limit without reading further', async () => {
    const { app } = buildTestApp(database, { config: { ...buildTestApp(database).deps.config, webhookMaxBodyBytes: 256 } });
    const res = await app.request('/webhooks/plaid', { method: 'POST', headers: signed.headers, body: 'x'.repeat(1024) });
    expect(res.status).toBe(413);
    const { count } = only(await database.sql<{ count: number }[]>`select count(*)::int as count from webhook_events`);
    expect(count).toBe(0);
  });
});
