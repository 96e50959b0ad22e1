import { AccountSubtype, CountryCode, Products } from 'plaid';
import type { AccountBase } from 'plaid';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/simulator/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { CLIENT_ID, SECRET, webhookRecorder } from './support.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON from control endpoints
type Json = Record<string, any>;

async function call(s: Simulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await s.app.request(path, {
    method,
    headers: { 'content-type': 'application/json', 'PLAID-CLIENT-ID': CLIENT_ID, 'PLAID-SECRET': SECRET },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() as Json };
}

describe('/simulator control endpoints', () => {
  it('drives an Item through its lifecycle over HTTP, firing the matching webhooks', async () => {
    const hooks = webhookRecorder();
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, deliverWebhook: hooks.deliver });
    const created = await call(sim, 'POST', '/simulator/items', {
      institutionId: 'ins_109511', products: ['transactions', 'investments', 'liabilities'], transactionCount: 20, webhook: 'https://hooks.test/h',
    });
    expect(created.status).toBe(200);
    const { itemId, accessToken } = created.json as { itemId: string; accessToken: string };
    expect(accessToken).toMatch(/^access-sandbox-/);
    expect((await call(sim, 'POST', '/transactions/sync', { access_token: accessToken })).status).toBe(200);

    const advance = await call(sim, 'POST', `/simulator/items/${itemId}/advance`, { added: 2, modified: 1, removed: 1, posted: 1 });
    expect(advance.json).toMatchObject({ webhookFired: true });
    expect(advance.json.added).toHaveLength(2);
    expect((await call(sim, 'GET', `/simulator/items/${itemId}`)).json).toMatchObject({ itemId, transactionCount: 21, ready: 'historical' });
    const truth = await call(sim, 'GET', `/simulator/items/${itemId}/truth?offset=1&limit=5`);
    expect(truth.json.count).toBe(21);
    expect(truth.json.transactions).toHaveLength(5);

    for (const action of ['login-required', 'repair-login', 'pending-expiration', 'pending-disconnect', 'new-accounts', 'revoke-account', 'holdings', 'investment-transactions', 'liabilities', 'revoke-permission']) {
      const result = await call(sim, 'POST', `/simulator/items/${itemId}/${action}`);
      expect(result.status, action).toBe(200);
      expect(result.json.webhookFired, action).toBe(true);
    }
    await sim.control.idle();
    expect(hooks.codes()).toEqual([
      'TRANSACTIONS:SYNC_UPDATES_AVAILABLE', 'ITEM:ERROR', 'ITEM:LOGIN_REPAIRED', 'ITEM:PENDING_EXPIRATION', 'ITEM:PENDING_DISCONNECT',
      'ITEM:NEW_ACCOUNTS_AVAILABLE', 'ITEM:USER_ACCOUNT_REVOKED', 'HOLDINGS:DEFAULT_UPDATE', 'INVESTMENTS_TRANSACTIONS:DEFAULT_UPDATE',
      'LIABILITIES:DEFAULT_UPDATE', 'ITEM:USER_PERMISSION_REVOKED',
    ]);
    const byCode = new Map(hooks.received.map((h) => [h.payload.webhook_code, h.payload]));
    expect(byCode.get('PENDING_DISCONNECT')).toMatchObject({ reason: 'INSTITUTION_TOKEN_EXPIRATION', disconnect_time: expect.any(String) });
    expect(byCode.get('USER_PERMISSION_REVOKED')).toMatchObject({ error: { error_code: 'USER_PERMISSION_REVOKED', error_type: 'ITEM_ERROR' } });
    const revokedAccount = (created.json as { accountIds: string[] }).accountIds[0];
    expect(byCode.get('USER_ACCOUNT_REVOKED')!.account_id).toBe(revokedAccount);
    expect(sim.control.item(itemId).accountIds).not.toContain(revokedAccount);

    const revoked = await call(sim, 'POST', '/accounts/get', { access_token: accessToken });
    expect(revoked.json).toMatchObject({ error_code: 'USER_PERMISSION_REVOKED' });
    expect((await call(sim, 'GET', `/simulator/items/${itemId}/accounts`)).json.accounts.length).toBe(sim.control.item(itemId).accountIds.length);
    expect((await call(sim, 'GET', `/simulator/items/${itemId}/holdings`)).json.holdings.length).toBeGreaterThan(0);
    expect((await call(sim, 'GET', `/simulator/items/${itemId}/investment-transactions`)).json.investment_transactions.length).toBeGreaterThan(0);
    expect((await call(sim, 'GET', `/simulator/items/${itemId}/liabilities`)).json.liabilities.credit[0].is_overdue).toEqual(expect.any(Boolean));

    expect((await call(sim, 'POST', `/simulator/items/${itemId}/revoke`)).status).toBe(200);
    expect((await call(sim, 'POST', '/item/get', { access_token: accessToken })).json.error_code).toBe('ITEM_NOT_FOUND');
    expect((await call(sim, 'GET', '/simulator/items')).json).toHaveLength(1);
    expect((await call(sim, 'POST', `/simulator/items/${itemId}/explode`)).status).toBe(404);
    expect((await call(sim, 'GET', '/simulator/items/nope')).json.error_code).toBe('ITEM_NOT_FOUND');
    expect((await call(sim, 'POST', `/simulator/items/${itemId}/advance`, { added: -1 })).json.error_code).toBe('INVALID_FIELD');
  });

  it('sets an Item-level error the user fixes in update mode, answered by every product call and by /item/get', async () => {
    const hooks = webhookRecorder();
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, deliverWebhook: hooks.deliver });
    const created = await call(sim, 'POST', '/simulator/items', { institutionId: 'ins_109511', products: ['transactions'], webhook: 'https://hooks.test/h' });
    const { itemId, accessToken } = created.json as { itemId: string; accessToken: string };
    expect((await call(sim, 'POST', `/simulator/items/${itemId}/item-error`, { code: 'NOT_A_CODE' })).json.error_code).toBe('INVALID_FIELD');

    const result = await call(sim, 'POST', `/simulator/items/${itemId}/item-error`, { code: 'ACCESS_NOT_GRANTED' });
    expect(result.json).toMatchObject({ webhookFired: true });
    expect((await call(sim, 'POST', '/transactions/sync', { access_token: accessToken })).json).toMatchObject({
      error_type: 'ITEM_ERROR', error_code: 'ACCESS_NOT_GRANTED', error_message: 'access to this product was not granted for the account',
    });
    expect((await call(sim, 'POST', '/item/get', { access_token: accessToken })).json.item.error).toMatchObject({ error_code: 'ACCESS_NOT_GRANTED' });
    await sim.control.idle();
    expect(hooks.received.at(-1)!.payload).toMatchObject({ webhook_type: 'ITEM', webhook_code: 'ERROR', error: { error_code: 'ACCESS_NOT_GRANTED' } });
  });

  it('completes Link, including update mode that repairs ITEM_LOGIN_REQUIRED without LOGIN_REPAIRED', async () => {
    const hooks = webhookRecorder();
    let now = Date.parse('2025-03-01T12:00:00Z');
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, deliverWebhook: hooks.deliver, now: () => now });
    const link = await call(sim, 'POST', '/link/token/create', {
      client_name: 'app', language: 'en', country_codes: [CountryCode.Us], user: { client_user_id: 'u1' },
      products: [Products.Transactions], webhook: 'https://hooks.test/link', transactions: { days_requested: 30 },
    });
    expect(link.json.expiration).toBe('2025-03-01T16:00:00.000Z');
    const completed = await call(sim, 'POST', '/simulator/link/complete', { link_token: link.json.link_token, institution_id: 'ins_sim_card' });
    expect(completed.json).toMatchObject({ updateMode: false, publicToken: expect.stringMatching(/^public-sandbox-/) });
    const exchange = await call(sim, 'POST', '/item/public_token/exchange', { public_token: completed.json.publicToken });
    const accessToken = exchange.json.access_token as string;
    const accounts = await call(sim, 'POST', '/accounts/get', { access_token: accessToken });
    expect((accounts.json.accounts as AccountBase[]).map((a) => a.subtype)).toEqual(['credit card']);

    await call(sim, 'POST', '/sandbox/item/reset_login', { access_token: accessToken });
    await call(sim, 'POST', `/simulator/items/${exchange.json.item_id as string}/pending-expiration`, {});
    const update = await call(sim, 'POST', '/link/token/create', {
      client_name: 'app', language: 'en', country_codes: ['US'], user: { client_user_id: 'u1' }, access_token: accessToken,
    });
    expect(update.json.expiration).toBe('2025-03-01T12:30:00.000Z');
    const repaired = await call(sim, 'POST', '/simulator/link/complete', { linkToken: update.json.link_token });
    expect(repaired.json).toMatchObject({ updateMode: true, itemId: exchange.json.item_id, webhookFired: false });
    expect((await call(sim, 'POST', '/transactions/sync', { access_token: accessToken })).status).toBe(200);
    // Update mode renewed the consent that was about to end (by a year, the simulator's choice).
    const renewed = await call(sim, 'POST', '/item/get', { access_token: accessToken });
    expect((renewed.json.item as { consent_expiration_time: string }).consent_expiration_time).toBe(new Date(now + 365 * 86_400_000).toISOString());
    await sim.control.idle();
    // Plaid sends LOGIN_REPAIRED only for an Item repaired outside the app's own update mode.
    expect(hooks.codes()).toEqual(['ITEM:ERROR', 'ITEM:PENDING_EXPIRATION']);

    const late = await call(sim, 'POST', '/simulator/link/complete', { linkToken: link.json.link_token });
    expect(late.status).toBe(200);
    now += 31 * 60_000;
    expect((await call(sim, 'POST', '/item/public_token/exchange', { public_token: late.json.publicToken })).json.error_code).toBe('INVALID_PUBLIC_TOKEN');
    expect((await call(sim, 'POST', '/simulator/link/complete', { linkToken: update.json.link_token })).json.error_code).toBe('INVALID_LINK_TOKEN');
    expect((await call(sim, 'POST', '/simulator/link/complete', {})).json.error_code).toBe('INVALID_FIELD');
  });

  it('manages faults, rate limits, stats, keys and webhooks over HTTP', async () => {
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET });
    const { accessToken } = sim.control.createItem({ transactionCount: 3 });
    expect((await call(sim, 'POST', '/simulator/faults', { endpoint: '/item/get', kind: 'internal_error', count: 1 })).json.faults).toHaveLength(1);
    expect((await call(sim, 'POST', '/simulator/faults', { rules: [{ kind: 'latency', rate: 0 }] })).json.faults).toHaveLength(2);
    expect((await call(sim, 'POST', '/item/get', { access_token: accessToken })).status).toBe(500);
    expect((await call(sim, 'GET', '/simulator/faults')).json).toMatchObject({ faults: [{ kind: 'latency' }], injected: { INTERNAL_SERVER_ERROR: 1 } });
    expect((await call(sim, 'PUT', '/simulator/faults', { rules: [{ kind: 'planned_maintenance', count: 3 }] })).json.faults).toEqual([{ kind: 'planned_maintenance', count: 3 }]);
    expect((await call(sim, 'DELETE', '/simulator/faults')).json.faults).toEqual([]);
    expect((await call(sim, 'POST', '/simulator/faults', { kind: 'internal_error' })).json.error_code).toBe('INVALID_FIELD');

    expect((await call(sim, 'POST', '/simulator/rate-limits', { enabled: true })).json).toEqual({ rateLimits: true });
    const stats = await call(sim, 'GET', '/simulator/stats');
    expect(stats.json).toMatchObject({ calls: { '/item/get': 1 }, injectedFaults: { INTERNAL_SERVER_ERROR: 1 }, rateLimits: true });
    expect((await call(sim, 'DELETE', '/simulator/stats')).json).toMatchObject({ calls: {}, injectedFaults: {} });

    const keys = await call(sim, 'GET', '/simulator/webhook-keys');
    const rotated = await call(sim, 'POST', '/simulator/webhook-keys/rotate');
    expect(rotated.json.expiredKid).toBe(keys.json.keys[0].kid);
    expect((await call(sim, 'GET', '/simulator/webhooks')).json).toEqual({ deliveries: [] });
    expect((await call(sim, 'GET', '/simulator/webhooks/idle')).json).toEqual({ idle: true });
    const malformed = await sim.app.request('/simulator/items', { method: 'POST', body: '{' });
    expect((await malformed.json() as { error_code: string }).error_code).toBe('INVALID_BODY');
  });

  it('fires sandbox webhooks per the allowed codes and refuses the rest', async () => {
    const hooks = webhookRecorder();
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, deliverWebhook: hooks.deliver });
    const { accessToken, itemId } = sim.control.createItem({ products: [Products.Transactions] });
    const fire = (body: object) => call(sim!, 'POST', '/sandbox/item/fire_webhook', { access_token: accessToken, ...body });
    expect((await fire({ webhook_code: 'DEFAULT_UPDATE' })).json.error_code).toBe('SANDBOX_WEBHOOK_INVALID');
    await call(sim, 'POST', '/item/webhook/update', { access_token: accessToken, webhook: 'https://hooks.test/s' });
    for (const code of ['DEFAULT_UPDATE', 'SYNC_UPDATES_AVAILABLE', 'RECURRING_TRANSACTIONS_UPDATE', 'NEW_ACCOUNTS_AVAILABLE', 'USER_PERMISSION_REVOKED', 'USER_ACCOUNT_REVOKED', 'PENDING_DISCONNECT', 'LOGIN_REPAIRED']) {
      expect((await fire({ webhook_code: code })).json, code).toMatchObject({ webhook_fired: true });
    }
    expect((await fire({ webhook_type: 'HOLDINGS', webhook_code: 'DEFAULT_UPDATE' })).json.error_code).toBe('SANDBOX_PRODUCT_NOT_ENABLED');
    expect((await fire({ webhook_type: 'AUTH', webhook_code: 'DEFAULT_UPDATE' })).json.error_code).toBe('SANDBOX_WEBHOOK_INVALID');
    expect((await fire({ webhook_code: 'PRODUCT_READY' })).json.error_code).toBe('SANDBOX_WEBHOOK_INVALID');
    expect((await fire({ webhook_code: 'NOPE' })).json.error_code).toBe('INVALID_FIELD');
    await sim.control.idle();
    expect(hooks.codes()).toEqual([
      'ITEM:WEBHOOK_UPDATE_ACKNOWLEDGED', 'TRANSACTIONS:DEFAULT_UPDATE', 'TRANSACTIONS:SYNC_UPDATES_AVAILABLE', 'TRANSACTIONS:RECURRING_TRANSACTIONS_UPDATE',
      'ITEM:NEW_ACCOUNTS_AVAILABLE', 'ITEM:USER_PERMISSION_REVOKED', 'ITEM:USER_ACCOUNT_REVOKED', 'ITEM:PENDING_DISCONNECT', 'ITEM:LOGIN_REPAIRED',
    ]);
    expect(sim.control.item(itemId).webhook).toBe('https://hooks.test/s');
    const item = await call(sim, 'POST', '/item/get', { access_token: accessToken });
    expect(item.json.status.last_webhook).toMatchObject({ code_sent: 'LOGIN_REPAIRED' });
    const cleared = await call(sim, 'POST', '/item/webhook/update', { access_token: accessToken, webhook: null });
    expect(cleared.json.item.webhook).toBeNull();
  });

  it('fires investment and liability webhooks for every product type', async () => {
    const hooks = webhookRecorder();
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, deliverWebhook: hooks.deliver });
    const { accessToken, itemId } = sim.control.createItem({ products: [Products.Investments, Products.Liabilities], webhook: 'https://hooks.test/i' });
    for (const type of ['HOLDINGS', 'INVESTMENTS_TRANSACTIONS', 'LIABILITIES']) {
      expect((await call(sim, 'POST', '/sandbox/item/fire_webhook', { access_token: accessToken, webhook_type: type, webhook_code: 'DEFAULT_UPDATE' })).json.webhook_fired).toBe(true);
    }
    const before = sim.control.holdingsTruth(itemId).holdings.length;
    expect(sim.control.updateHoldings(itemId, { added: 2, updated: 2 })).toMatchObject({ new_holdings: 2, updated_holdings: 2 });
    expect(sim.control.holdingsTruth(itemId).holdings.length).toBe(before + 2);
    const invBefore = sim.control.investmentTransactionsTruth(itemId).length;
    sim.control.addInvestmentTransactions(itemId, 3);
    expect(sim.control.investmentTransactionsTruth(itemId).length).toBe(invBefore + 3);
    const creditId = sim.control.accountsTruth(itemId).find((a) => a.subtype === AccountSubtype.CreditCard)?.account_id;
    expect(Object.keys(sim.control.updateLiabilities(itemId, [creditId!]).updated)).toEqual([creditId]);
    expect(() => sim!.control.updateLiabilities(itemId, ['nope'])).toThrow();
    const onlyCash = sim.control.createItem({ institutionId: 'ins_109512' });
    expect(() => sim!.control.updateHoldings(onlyCash.itemId)).toThrow();
    expect(() => sim!.control.addInvestmentTransactions(onlyCash.itemId)).toThrow();
    await sim.control.idle();
    expect(hooks.codes().slice(-3)).toEqual(['HOLDINGS:DEFAULT_UPDATE', 'INVESTMENTS_TRANSACTIONS:DEFAULT_UPDATE', 'LIABILITIES:DEFAULT_UPDATE']);
    const liabilities = hooks.received.at(-1)!.payload;
    expect(liabilities.account_ids_with_updated_liabilities).toEqual({ [creditId!]: ['last_statement_balance', 'minimum_payment_amount', 'is_overdue'] });
  });
});
