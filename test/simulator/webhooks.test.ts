import { createHash } from 'node:crypto';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, retryDelays } from '../../src/simulator/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { CLIENT_ID, SECRET, mswSimulator, plaidClient, verifyWebhook, webhookRecorder } from './support.js';

const server = setupServer();
let sim: Simulator | undefined;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(async () => {
  server.resetHandlers();
  await sim?.close();
  sim = undefined;
});
afterAll(() => server.close());

describe('webhook signing', () => {
  it('signs every webhook so that an independent ES256 verifier accepts it', async () => {
    const hooks = webhookRecorder();
    sim = mswSimulator(server, { deliverWebhook: hooks.deliver });
    const plaid = plaidClient();
    const getKey = async (kid: string) => (await plaid.webhookVerificationKeyGet({ key_id: kid })).data.key;
    const { itemId, accessToken } = sim.control.createItem({ webhook: 'https://hooks.test/plaid' });
    await plaid.transactionsSync({ access_token: accessToken });
    sim.control.advance(itemId, { added: 3 });
    sim.control.loginRequired(itemId);
    await sim.control.idle();

    expect(hooks.codes()).toEqual(['TRANSACTIONS:SYNC_UPDATES_AVAILABLE', 'ITEM:ERROR']);
    for (const hook of hooks.received) {
      const { claims } = await verifyWebhook(hook.headers['Plaid-Verification']!, hook.body, getKey);
      const expected = createHash('sha256').update(JSON.stringify(hook.payload, null, 2)).digest('hex');
      expect(claims.request_body_sha256).toBe(expected);
      expect(hook.body).toBe(JSON.stringify(hook.payload, null, 2));
      expect(hook.headers['Content-Type']).toBe('application/json');
    }
    expect(hooks.received[0]!.payload).toEqual({
      webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: itemId,
      initial_update_complete: true, historical_update_complete: true, environment: 'sandbox',
    });
    expect(hooks.received[1]!.payload).toMatchObject({
      webhook_type: 'ITEM', webhook_code: 'ERROR', item_id: itemId,
      error: { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED', status: 400 },
    });
    expect(hooks.received[1]!.payload.error).not.toHaveProperty('request_id');

    const tampered = hooks.received[0]!.body.replace('true', 'false');
    await expect(verifyWebhook(hooks.received[0]!.headers['Plaid-Verification']!, tampered, getKey)).rejects.toThrow('body hash mismatch');
  });

  it('rotates the signing key: the old key shows expired_at and new webhooks use the new kid', async () => {
    const hooks = webhookRecorder();
    sim = mswSimulator(server, { deliverWebhook: hooks.deliver });
    const plaid = plaidClient();
    const getKey = async (kid: string) => (await plaid.webhookVerificationKeyGet({ key_id: kid })).data.key;
    const { itemId } = sim.control.createItem({ webhook: 'https://hooks.test/plaid' });
    sim.control.newAccountsAvailable(itemId);
    await sim.control.idle();
    const before = hooks.received[0]!;
    const { kid: oldKid } = await verifyWebhook(before.headers['Plaid-Verification']!, before.body, getKey);

    const rotation = sim.control.rotateWebhookKey();
    expect(rotation.expiredKid).toBe(oldKid);
    const oldKey = (await plaid.webhookVerificationKeyGet({ key_id: oldKid })).data.key;
    expect(oldKey.expired_at).toEqual(expect.any(Number));
    await expect(verifyWebhook(before.headers['Plaid-Verification']!, before.body, getKey)).rejects.toThrow('expired key');

    sim.control.pendingDisconnect(itemId);
    await sim.control.idle();
    const after = hooks.received[1]!;
    const { kid } = await verifyWebhook(after.headers['Plaid-Verification']!, after.body, getKey);
    expect(kid).toBe(rotation.kid);
    expect(sim.control.webhookKeys().map((k) => k.kid)).toEqual([oldKid, rotation.kid]);
  });
});

describe('webhook delivery and retries', () => {
  it('follows Plaid\'s schedule: 30 s, then ×4, within 24 hours', () => {
    expect(retryDelays()).toEqual([30_000, 120_000, 480_000, 1_920_000, 7_680_000, 30_720_000]);
  });

  it('retries a failing receiver on the scaled schedule until it answers 200', async () => {
    const started: number[] = [];
    const hooks = webhookRecorder((attempt) => {
      started.push(performance.now());
      return attempt <= 3 ? 500 : 200;
    });
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, timeScale: 0.001, deliverWebhook: hooks.deliver });
    const { itemId } = sim.control.createItem({ webhook: 'https://hooks.test/flaky' });
    sim.control.loginRequired(itemId);
    await sim.control.idle();

    const [delivery] = sim.control.webhookDeliveries();
    expect(delivery!.state).toBe('delivered');
    expect(delivery!.attempts.map((a) => a.status)).toEqual([500, 500, 500, 200]);
    const gaps = started.slice(1).map((t, i) => t - started[i]!);
    [30, 120, 480].forEach((expected, i) => expect(gaps[i]).toBeGreaterThanOrEqual(expected - 2));
    expect(new Set(hooks.received.map((h) => h.body)).size).toBe(1);
  });

  it('gives up after the last retry inside 24 hours and treats a silent receiver as failed', async () => {
    const hooks = webhookRecorder(() => new Promise<number>(() => undefined));
    sim = createSimulator({
      clientId: CLIENT_ID, secret: SECRET, timeScale: 0.00001, webhookTimeoutMs: 5, deliverWebhook: hooks.deliver,
    });
    const { itemId } = sim.control.createItem({ webhook: 'https://hooks.test/silent' });
    sim.control.pendingExpiration(itemId, '2030-01-01T00:00:00.000Z');
    await sim.control.idle();
    const [delivery] = sim.control.webhookDeliveries();
    expect(delivery!.state).toBe('failed');
    expect(delivery!.attempts).toHaveLength(7);
    expect(delivery!.attempts.every((a) => a.status === null && a.error !== null)).toBe(true);
    expect(JSON.parse(delivery!.body)).toMatchObject({ webhook_code: 'PENDING_EXPIRATION', consent_expiration_time: '2030-01-01T00:00:00.000Z' });
    expect(sim.control.stats().webhooks).toEqual({ total: 1, delivered: 0, failed: 1, pending: 0 });
  });

  it('counts a thrown delivery as a failed attempt and cancels pending retries on close', async () => {
    const hooks = webhookRecorder(() => {
      throw new Error('connection refused');
    });
    const s = createSimulator({ clientId: CLIENT_ID, secret: SECRET, deliverWebhook: hooks.deliver });
    const { itemId } = s.control.createItem({ webhook: 'https://hooks.test/down' });
    s.control.revokePermission(itemId);
    const idle = s.control.idle();
    await expect.poll(() => s.control.webhookDeliveries()[0]!.attempts.length).toBe(1);
    expect(s.control.webhookDeliveries()[0]!.attempts[0]!.error).toBe('connection refused');
    await s.close();
    await idle;
    expect(s.control.webhookDeliveries()[0]!.state).toBe('cancelled');
  });

  it('sends nothing for Items without a webhook URL', async () => {
    const hooks = webhookRecorder();
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, deliverWebhook: hooks.deliver });
    const { itemId } = sim.control.createItem();
    expect(sim.control.loginRequired(itemId).webhookFired).toBe(false);
    await sim.control.idle();
    expect(hooks.received).toEqual([]);
  });
});
