import { randomUUID } from 'node:crypto';
import type { JWKPublicKey } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerificationKeyUnavailableError, WebhookVerificationError } from '../../src/webhooks/verification-error.js';
import { KEY_FETCH_BUDGET_EXHAUSTED, VerificationKeyCache } from '../../src/webhooks/verification-keys.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertItem, only } from '../support/webhook-items.js';
import { recordingWorkQueue } from '../support/webhook-queue.js';
import { startWebhookSimulator, type CapturedWebhook } from '../support/webhook-simulator.js';
import { createTestSigner } from '../support/webhook-signing.js';

/**
 * Forged deliveries with ever new `kid`s: each used to make the service call Plaid's
 * `/webhook_verification_key/get` with its credentials (1,000 requests, 1,000 calls, 100 at once).
 */
const WEBHOOK_URL = 'https://service.test/webhooks/plaid';
const KEY_ENDPOINT = '/webhook_verification_key/get';
const DEFAULT_FETCHES_PER_MINUTE = 10;

/** The captured token with another `kid` in its protected header (its signature no longer matters). */
function withKid(delivery: CapturedWebhook, kid: string): Record<string, string> {
  const [head, payload, signature] = delivery.headers['Plaid-Verification']!.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...header, kid })).toString('base64url');
  return { ...delivery.headers, 'Plaid-Verification': `${forged}.${payload}.${signature}` };
}

describe('key fetches for forged kids, through the app and the simulator', () => {
  let database: TestDatabase;
  let simulator: ReturnType<typeof startWebhookSimulator>;
  let plaidItemId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    simulator = startWebhookSimulator();
    const item = simulator.control.createItem({ products: ['investments' as never], webhook: WEBHOOK_URL });
    plaidItemId = item.itemId;
    await insertItem(buildTestApp(database).deps, { plaidItemId, accessToken: item.accessToken, product: 'investments' });
  });
  afterAll(async () => {
    await simulator.close();
    await database.drop();
  });

  it('1,000 forged kids cost at most the minute’s budget of Plaid calls; the known key keeps verifying', async () => {
    const { app, deps, logs } = buildTestApp(database, { queue: recordingWorkQueue() });
    const post = async (body: string, headers: Record<string, string>): Promise<Response> =>
      app.request('/webhooks/plaid', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    simulator.control.updateHoldings(plaidItemId, { added: 1 });
    const genuine = simulator.last();
    expect((await post(genuine.body, genuine.headers)).status).toBe(200);
    simulator.control.resetCalls();

    const statuses = await Promise.all(Array.from({ length: 1_000 }, () => post(genuine.body, withKid(genuine, randomUUID())).then((res) => res.status)));
    expect(simulator.control.calls(KEY_ENDPOINT)).toBeLessThanOrEqual(DEFAULT_FETCHES_PER_MINUTE);
    expect(new Set(statuses)).toEqual(new Set([401, 503]));
    expect(statuses.filter((status) => status === 401)).toHaveLength(simulator.control.calls(KEY_ENDPOINT));
    const metrics = await deps.metrics.registry.getSingleMetricAsString('plaid_webhook_signature_rejected_total');
    expect(metrics).toContain('reason="key_fetch_budget"');
    // The request lines of the 503s are errors (every 5xx is); the intake itself only warns.
    expect(logs.filter((line) => line.level === 'error' && line.msg !== 'request')).toEqual([]);

    // A key already known never waits for the budget.
    simulator.control.updateHoldings(plaidItemId, { added: 1 });
    const next = simulator.last();
    expect((await post(next.body, next.headers)).status).toBe(200);
    // A rotated key met while the budget is spent is a 503: Plaid delivers it again later.
    simulator.control.rotateWebhookKey();
    simulator.control.updateHoldings(plaidItemId, { added: 1 });
    const rotated = simulator.last();
    expect((await post(rotated.body, rotated.headers)).status).toBe(503);
    expect(simulator.control.calls(KEY_ENDPOINT)).toBeLessThanOrEqual(DEFAULT_FETCHES_PER_MINUTE);
    const { count } = only(await database.sql<{ count: number }[]>`select count(*)::int as count from webhook_events`);
    expect(count).toBe(2);
  });

  it('a rotated key is fetched at its first delivery while the budget allows', async () => {
    const { app } = buildTestApp(database, { queue: recordingWorkQueue() });
    simulator.control.rotateWebhookKey();
    simulator.control.updateHoldings(plaidItemId, { added: 1 });
    const rotated = simulator.last();
    const res = await app.request('/webhooks/plaid', { method: 'POST', headers: { 'content-type': 'application/json', ...rotated.headers }, body: rotated.body });
    expect(res.status).toBe(200);
  });
});

describe('the key cache’s bounds', () => {
  it('runs at most two fetches at once and remembers ids Plaid does not know', async () => {
    const signer = await createTestSigner();
    let inFlight = 0;
    let peak = 0;
    const fetched: string[] = [];
    const fetchKey = async (kid: string): Promise<JWKPublicKey> => {
      fetched.push(kid);
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return signer.fetchKey(kid);
    };
    const cache = new VerificationKeyCache({ fetchKey, fetchesPerMinute: 50 });
    const kids = Array.from({ length: 40 }, () => randomUUID());
    const results = await Promise.allSettled(kids.map((kid) => cache.get(kid)));
    expect(results.every((result) => result.status === 'rejected' && result.reason instanceof WebhookVerificationError)).toBe(true);
    expect(peak).toBeLessThanOrEqual(2);
    expect(fetched).toHaveLength(40);
    // Asked again: answered from the negative cache, no fetch and no budget spent.
    await Promise.allSettled(kids.map((kid) => cache.get(kid)));
    expect(fetched).toHaveLength(40);
    await expect(cache.get(signer.kid)).resolves.toBeDefined();
  });

  it('refuses a fetch past the budget without calling, and fetches a new key once the window turns', async () => {
    const signer = await createTestSigner();
    const cache = new VerificationKeyCache({ fetchKey: signer.fetchKey, fetchesPerMinute: 3, budgetWindowSeconds: 1 });
    await Promise.allSettled(Array.from({ length: 3 }, () => cache.get(randomUUID())));
    const refused = cache.get(signer.kid);
    await expect(refused).rejects.toBeInstanceOf(VerificationKeyUnavailableError);
    await expect(refused).rejects.toMatchObject({ code: KEY_FETCH_BUDGET_EXHAUSTED });
    expect(signer.fetches).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await expect(cache.get(signer.kid)).resolves.toBeDefined();
    expect(signer.fetches).toHaveLength(4);
  });
});
