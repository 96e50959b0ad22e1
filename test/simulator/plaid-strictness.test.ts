import { CountryCode, Products } from 'plaid';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/simulator/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { CLIENT_ID, SECRET, webhookRecorder } from './support.js';

// Behaviour checked against Plaid's error reference (invalid-request, item, api, institution,
// rate-limit-exceeded pages), its Items webhook reference and its PlaidError schema.

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON answers
type Json = Record<string, any>;

async function call(s: Simulator, path: string, body: unknown): Promise<{ status: number; json: Json }> {
  const response = await s.app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'PLAID-CLIENT-ID': CLIENT_ID, 'PLAID-SECRET': SECRET },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() as Json };
}

const LINK_PAGE = new Set(['/link/login', '/link/accounts']);

/** The Plaid endpoints the simulator serves: every POST route outside its control API and Link page. */
function plaidEndpoints(s: Simulator): string[] {
  const paths = s.app.routes.filter((r) => r.method === 'POST' && !r.path.startsWith('/simulator') && !LINK_PAGE.has(r.path) && !r.path.includes('*'));
  return [...new Set(paths.map((r) => r.path))].sort();
}

const linkBase = { client_name: 'app', language: 'en', country_codes: [CountryCode.Us], user: { client_user_id: 'u1' } };

describe('the simulator is as strict as Plaid', () => {
  it('refuses an unknown field on every Plaid endpoint with 400 INVALID_REQUEST / UNKNOWN_FIELDS', async () => {
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET });
    const { accessToken } = sim.control.createItem({ transactionCount: 3 });
    const endpoints = plaidEndpoints(sim);
    expect(endpoints).toEqual(expect.arrayContaining(['/transactions/sync', '/item/get', '/link/token/create', '/institutions/get_by_id', '/sandbox/item/fire_webhook']));
    expect(endpoints).toHaveLength(17);
    for (const endpoint of endpoints) {
      const answer = await call(sim, endpoint, { access_token: accessToken, not_a_plaid_field: true });
      expect(answer.status, endpoint).toBe(400);
      expect(answer.json, endpoint).toMatchObject({
        error_type: 'INVALID_REQUEST',
        error_code: 'UNKNOWN_FIELDS',
        error_message: expect.stringMatching(/^the following fields are not recognized by this endpoint: .*not_a_plaid_field/),
        display_message: null,
        request_id: expect.any(String),
      });
    }
  });

  it('names nested unknown fields by their path, and still accepts every field Plaid documents', async () => {
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET });
    const { accessToken } = sim.control.createItem({ transactionCount: 3 });
    const nested = await call(sim, '/transactions/sync', { access_token: accessToken, options: { include_original_description: true, colour: 'red' } });
    expect(nested.json).toMatchObject({ error_code: 'UNKNOWN_FIELDS', error_message: 'the following fields are not recognized by this endpoint: options.colour' });
    const two = await call(sim, '/link/token/create', { ...linkBase, products: ['transactions'], user: { client_user_id: 'u1', nickname: 'x' }, extra: 1 });
    expect(two.json.error_message).toBe('the following fields are not recognized by this endpoint: user.nickname, extra');
    // A prototype key is just another unknown name, not a crash.
    const proto = await call(sim, '/item/get', JSON.parse(`{"access_token": "${accessToken}", "__proto__": {"x": 1}}`));
    expect(proto.json).toMatchObject({ error_code: 'UNKNOWN_FIELDS', error_message: expect.stringContaining('__proto__') });

    // Documented fields pass, update mode's `update` object included.
    const options = { include_original_description: true, include_personal_finance_category: true, days_requested: 90 };
    expect((await call(sim, '/transactions/sync', { access_token: accessToken, count: 10, options })).status).toBe(200);
    const user = { client_user_id: 'u1', legal_name: 'Ada Lovelace', email_address: 'ada@example.test' };
    expect((await call(sim, '/link/token/create', { ...linkBase, user, products: ['transactions'], hosted_link: {} })).status).toBe(200);
    const update = await call(sim, '/link/token/create', { ...linkBase, access_token: accessToken, update: { account_selection_enabled: true } });
    expect(update.status).toBe(200);
  });

  it('answers /link/token/create with product balance as INVALID_INPUT / INVALID_PRODUCT', async () => {
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET });
    const answer = await call(sim, '/link/token/create', { ...linkBase, products: [Products.Transactions, Products.Balance] });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error_type: 'INVALID_INPUT', error_code: 'INVALID_PRODUCT', display_message: null });
  });

  it('shows /item/get’s item.error without status, and webhook errors with it', async () => {
    const hooks = webhookRecorder();
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, deliverWebhook: hooks.deliver });
    const { accessToken, itemId } = sim.control.createItem({ webhook: 'https://hooks.test/p' });
    sim.control.loginRequired(itemId);
    await sim.control.idle();
    const { json } = await call(sim, '/item/get', { access_token: accessToken });
    expect(json.item.error).toMatchObject({ error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED', display_message: null });
    expect(json.item.error).not.toHaveProperty('status');
    expect(json.item.error).not.toHaveProperty('request_id');
    const [hook] = hooks.received;
    expect(hook?.payload).toMatchObject({ webhook_type: 'ITEM', webhook_code: 'ERROR', error: { error_code: 'ITEM_LOGIN_REQUIRED', display_message: null, status: 400 } });
  });

  it('gives each error Plaid’s display_message (null where Plaid gives null) and no causes', async () => {
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET });
    const { accessToken, itemId } = sim.control.createItem({ transactionCount: 3 });
    const expected: Record<string, string | null> = {
      INTERNAL_SERVER_ERROR: null,
      PLANNED_MAINTENANCE: null,
      INSTITUTION_DOWN: 'This financial institution is not currently responding to requests. We apologize for the inconvenience.',
      TRANSACTIONS_SYNC_LIMIT: null,
    };
    const kinds = ['internal_error', 'planned_maintenance', 'institution_down', 'rate_limit'] as const;
    for (const kind of kinds) {
      sim.control.setFaults([{ endpoint: '/transactions/sync', kind, count: 1 }]);
      const { json } = await call(sim, '/transactions/sync', { access_token: accessToken });
      expect(json.display_message, json.error_code).toBe(expected[json.error_code as string]);
      expect(json, json.error_code).not.toHaveProperty('causes');
      expect(json.documentation_url).toMatch(/^https:\/\/plaid\.com\/docs\/errors\/[a-z-]+\/#[a-z_]+$/);
    }
    sim.control.loginRequired(itemId);
    const login = await call(sim, '/transactions/sync', { access_token: accessToken });
    expect(login.json).toMatchObject({ error_code: 'ITEM_LOGIN_REQUIRED', display_message: null });
    expect(login.json).not.toHaveProperty('causes');
    const other = sim.control.createItem();
    sim.control.revokePermission(other.itemId);
    const revoked = await call(sim, '/accounts/get', { access_token: other.accessToken });
    expect(revoked.json).toMatchObject({ error_type: 'INVALID_INPUT', error_code: 'USER_PERMISSION_REVOKED', display_message: null });
  });

  it('fires USER_PERMISSION_REVOKED from /sandbox/item/fire_webhook with error type ITEM_ERROR, as the control does', async () => {
    const hooks = webhookRecorder();
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, deliverWebhook: hooks.deliver });
    const { accessToken, itemId } = sim.control.createItem({ webhook: 'https://hooks.test/p' });
    expect((await call(sim, '/sandbox/item/fire_webhook', { access_token: accessToken, webhook_code: 'USER_PERMISSION_REVOKED' })).json).toMatchObject({ webhook_fired: true });
    sim.control.revokePermission(itemId);
    await sim.control.idle();
    expect(hooks.received).toHaveLength(2);
    for (const hook of hooks.received) {
      expect(hook.payload).toMatchObject({
        webhook_type: 'ITEM', webhook_code: 'USER_PERMISSION_REVOKED',
        error: { error_type: 'ITEM_ERROR', error_code: 'USER_PERMISSION_REVOKED', display_message: null, status: 400 },
      });
    }
  });

  it('sends LOGIN_REPAIRED only for a login repaired outside the app, never after update mode in it', async () => {
    const hooks = webhookRecorder();
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, deliverWebhook: hooks.deliver });
    const { accessToken, itemId } = sim.control.createItem({ webhook: 'https://hooks.test/p' });

    // Broken, then fixed through update mode in this app: the error clears and no webhook follows.
    sim.control.loginRequired(itemId);
    const update = await call(sim, '/link/token/create', { ...linkBase, access_token: accessToken });
    expect(sim.control.completeLink({ linkToken: update.json.link_token as string })).toMatchObject({ updateMode: true, webhookFired: false });
    expect((await call(sim, '/item/get', { access_token: accessToken })).json.item.error).toBeNull();

    // Broken again, then repaired elsewhere (another app, the bank): LOGIN_REPAIRED goes out.
    sim.control.loginRequired(itemId);
    const elsewhere = await sim.app.request(`/simulator/items/${itemId}/repair-login`, { method: 'POST' });
    expect(await elsewhere.json()).toEqual({ webhookFired: true });
    expect((await call(sim, '/item/get', { access_token: accessToken })).json.item.error).toBeNull();
    // A healthy Item has nothing to repair.
    expect(sim.control.repairLogin(itemId)).toEqual({ webhookFired: false });

    await sim.control.idle();
    expect(hooks.codes()).toEqual(['ITEM:ERROR', 'ITEM:ERROR', 'ITEM:LOGIN_REPAIRED']);
  });

  it('rate-limits /institutions/get_by_id per client with INSTITUTIONS_GET_BY_ID_LIMIT', async () => {
    // A clock that stands still keeps all calls in one rate-limit window.
    const now = Date.parse('2025-03-01T12:00:10Z');
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, now: () => now });
    const body = { institution_id: 'ins_109508', country_codes: ['US'] };
    sim.control.setFaults([{ endpoint: '/institutions/get_by_id', kind: 'rate_limit', count: 1 }]);
    const injected = await call(sim, '/institutions/get_by_id', body);
    expect(injected).toMatchObject({ status: 429, json: { error_type: 'RATE_LIMIT_EXCEEDED', error_code: 'INSTITUTIONS_GET_BY_ID_LIMIT', display_message: null } });
    expect(injected.json.error_message).toBe('rate limit exceeded for attempts to access "institutions get by id". please try again later');

    sim.control.setRateLimits(true);
    const statuses: number[] = [];
    for (let i = 0; i < 400; i++) statuses.push((await call(sim, '/institutions/get_by_id', body)).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const over = await call(sim, '/institutions/get_by_id', body);
    expect(over).toMatchObject({ status: 429, json: { error_code: 'INSTITUTIONS_GET_BY_ID_LIMIT' } });
  });
});
