import { setupServer } from 'msw/node';
import { AccountType, CountryCode, Products, SandboxItemFireWebhookRequestWebhookCodeEnum, TransactionsUpdateStatus, WebhookType } from 'plaid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { expectPlaidError, mswSimulator, plaidClient, webhookRecorder } from './support.js';

const server = setupServer();
let sim: Simulator | undefined;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(async () => {
  server.resetHandlers();
  await sim?.close();
  sim = undefined;
});
afterAll(() => server.close());

describe('Plaid endpoints through the official SDK (msw)', () => {
  it('links an Item through Link and reads every product', async () => {
    const hooks = webhookRecorder();
    sim = mswSimulator(server, { deliverWebhook: hooks.deliver });
    const plaid = plaidClient();

    const link = await plaid.linkTokenCreate({
      client_name: 'plaid-sync', language: 'en', country_codes: [CountryCode.Us],
      user: { client_user_id: 'user-1' }, products: [Products.Transactions, Products.Investments, Products.Liabilities],
      webhook: 'https://hooks.test/plaid',
    });
    expect(link.data.link_token).toMatch(/^link-sandbox-[0-9a-f-]{36}$/);
    expect(Date.parse(link.data.expiration) - Date.now()).toBeGreaterThan(3.9 * 3600_000);
    expect(link.data.request_id).toMatch(/^\w{15}$/);

    const { publicToken } = sim.control.completeLink({ linkToken: link.data.link_token, institutionId: 'ins_109508' });
    expect(publicToken).toMatch(/^public-sandbox-/);
    const exchange = await plaid.itemPublicTokenExchange({ public_token: publicToken });
    const accessToken = exchange.data.access_token;
    expect(accessToken).toMatch(/^access-sandbox-[0-9a-f-]{36}$/);
    await expectPlaidError(plaid.itemPublicTokenExchange({ public_token: publicToken })).then((e) => {
      expect(e.data.error_code).toBe('INVALID_PUBLIC_TOKEN');
    });

    const item = await plaid.itemGet({ access_token: accessToken });
    expect(item.data.item.item_id).toBe(exchange.data.item_id);
    expect(item.data.item.webhook).toBe('https://hooks.test/plaid');
    expect(item.data.item.institution_id).toBe('ins_109508');
    expect(item.data.item.billed_products).toEqual([Products.Transactions, Products.Investments, Products.Liabilities]);
    expect(item.data.item.error).toBeNull();

    const accounts = await plaid.accountsGet({ access_token: accessToken });
    const subtypes = accounts.data.accounts.map((a) => a.subtype);
    expect(subtypes).toEqual(['checking', 'savings', 'credit card', 'brokerage', '401k', 'student', 'mortgage']);
    expect(accounts.data.accounts).toEqual(sim.control.accountsTruth(exchange.data.item_id));

    const sync = await plaid.transactionsSync({ access_token: accessToken, count: 500 });
    expect(sync.data.added).toHaveLength(250);
    expect(sync.data.has_more).toBe(false);
    expect(sync.data.transactions_update_status).toBe(TransactionsUpdateStatus.HistoricalUpdateComplete);
    expect(sync.data.accounts.every((a) => a.type !== AccountType.Investment)).toBe(true);
    const sample = sync.data.added[0]!;
    expect(Number.isInteger(Math.round(sample.amount * 100))).toBe(true);
    expect(sample.iso_currency_code).toBe('USD');
    expect(sample.personal_finance_category?.primary).toMatch(/^[A-Z_]+$/);

    const refresh = await plaid.transactionsRefresh({ access_token: accessToken });
    expect(refresh.data.request_id).toBeTruthy();
    const delta = await plaid.transactionsSync({ access_token: accessToken, cursor: sync.data.next_cursor });
    expect(delta.data.added.length).toBeGreaterThan(0);

    const holdings = await plaid.investmentsHoldingsGet({ access_token: accessToken });
    expect(holdings.data.accounts.map((a) => a.subtype)).toEqual(['brokerage', '401k']);
    expect(holdings.data.holdings.length).toBeGreaterThan(0);
    const securityIds = new Set(holdings.data.securities.map((s) => s.security_id));
    expect(holdings.data.holdings.every((h) => securityIds.has(h.security_id))).toBe(true);

    const invTx = await plaid.investmentsTransactionsGet({
      access_token: accessToken, start_date: '2000-01-01', end_date: '2100-01-01', options: { count: 5, offset: 2 },
    });
    expect(invTx.data.investment_transactions).toHaveLength(5);
    expect(invTx.data.total_investment_transactions).toBe(sim.control.investmentTransactionsTruth(exchange.data.item_id).length);
    const dates = invTx.data.investment_transactions.map((t) => t.date);
    expect([...dates].sort().reverse()).toEqual(dates);

    const liabilities = await plaid.liabilitiesGet({ access_token: accessToken });
    expect(liabilities.data.liabilities.credit).toHaveLength(1);
    expect(liabilities.data.liabilities.mortgage).toHaveLength(1);
    expect(liabilities.data.liabilities.student).toHaveLength(1);

    const institution = await plaid.institutionsGetById({ institution_id: 'ins_109508', country_codes: [CountryCode.Us] });
    expect(institution.data.institution.name).toBe('First Platypus Bank');

    const hook = await plaid.itemWebhookUpdate({ access_token: accessToken, webhook: 'https://hooks.test/new' });
    expect(hook.data.item.webhook).toBe('https://hooks.test/new');

    const fired = await plaid.sandboxItemFireWebhook({
      access_token: accessToken, webhook_type: WebhookType.Holdings, webhook_code: SandboxItemFireWebhookRequestWebhookCodeEnum.DefaultUpdate,
    });
    expect(fired.data.webhook_fired).toBe(true);

    const reset = await plaid.sandboxItemResetLogin({ access_token: accessToken });
    expect(reset.data.reset_login).toBe(true);
    const loginRequired = await expectPlaidError(plaid.transactionsSync({ access_token: accessToken }));
    expect(loginRequired).toMatchObject({ status: 400, data: { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED' } });
    expect((await plaid.itemGet({ access_token: accessToken })).data.item.error?.error_code).toBe('ITEM_LOGIN_REQUIRED');

    const kid = JSON.parse(Buffer.from(hooks.received[0]!.headers['Plaid-Verification']!.split('.')[0]!, 'base64url').toString()).kid as string;
    const key = await plaid.webhookVerificationKeyGet({ key_id: kid });
    expect(key.data.key).toMatchObject({ alg: 'ES256', crv: 'P-256', kty: 'EC', use: 'sig', kid, expired_at: null });

    await sim.control.idle();
    // The refresh found new transactions (SYNC_UPDATES_AVAILABLE to the old URL), then the URL changed.
    expect(hooks.codes()).toEqual(['TRANSACTIONS:SYNC_UPDATES_AVAILABLE', 'ITEM:WEBHOOK_UPDATE_ACKNOWLEDGED', 'HOLDINGS:DEFAULT_UPDATE', 'ITEM:ERROR']);
    expect(hooks.received.map((h) => h.url)).toEqual(['https://hooks.test/plaid', 'https://hooks.test/new', 'https://hooks.test/new', 'https://hooks.test/new']);

    const removed = await plaid.itemRemove({ access_token: accessToken });
    expect(removed.data.request_id).toBeTruthy();
    const gone = await expectPlaidError(plaid.itemGet({ access_token: accessToken }));
    expect(gone).toMatchObject({ status: 400, data: { error_type: 'ITEM_ERROR', error_code: 'ITEM_NOT_FOUND' } });
  });

  it('creates sandbox public tokens and rejects unsupported products', async () => {
    sim = mswSimulator(server);
    const plaid = plaidClient();
    const created = await plaid.sandboxPublicTokenCreate({ institution_id: 'ins_109512', initial_products: [Products.Transactions] });
    const { data } = await plaid.itemPublicTokenExchange({ public_token: created.data.public_token });
    expect(sim.control.item(data.item_id).institutionId).toBe('ins_109512');

    const unsupported = await expectPlaidError(plaid.sandboxPublicTokenCreate({ institution_id: 'ins_109512', initial_products: [Products.Investments] }));
    expect(unsupported).toMatchObject({ status: 400, data: { error_code: 'PRODUCTS_NOT_SUPPORTED', error_type: 'ITEM_ERROR' } });
    const holdings = await expectPlaidError(plaid.investmentsHoldingsGet({ access_token: data.access_token }));
    expect(holdings.data.error_code).toBe('PRODUCTS_NOT_SUPPORTED');
    const liabilities = await expectPlaidError(plaid.liabilitiesGet({ access_token: data.access_token }));
    expect(liabilities.data.error_code).toBe('PRODUCTS_NOT_SUPPORTED');
    const unknown = await expectPlaidError(plaid.sandboxPublicTokenCreate({ institution_id: 'ins_nope', initial_products: [Products.Transactions] }));
    expect(unknown.data.error_code).toBe('INVALID_INSTITUTION');
    const noInstitution = await expectPlaidError(plaid.institutionsGetById({ institution_id: 'ins_nope', country_codes: [CountryCode.Us] }));
    expect(noInstitution.data.error_code).toBe('INVALID_INSTITUTION');
  });

  it('answers credential, token and body errors in Plaid\'s error shape', async () => {
    sim = mswSimulator(server);
    const wrong = await expectPlaidError(plaidClient(undefined, 'wrong').itemGet({ access_token: 'access-sandbox-x' }));
    expect(wrong).toMatchObject({ status: 400, data: { error_type: 'INVALID_INPUT', error_code: 'INVALID_API_KEYS', display_message: null } });
    expect(wrong.data.request_id).toBeTruthy();

    const plaid = plaidClient();
    const badToken = await expectPlaidError(plaid.accountsGet({ access_token: 'access-sandbox-not-a-token' }));
    expect(badToken).toMatchObject({ status: 400, data: { error_code: 'INVALID_ACCESS_TOKEN', error_type: 'INVALID_INPUT' } });
    const unknownToken = await expectPlaidError(plaid.accountsGet({ access_token: 'access-sandbox-00000000-0000-4000-8000-000000000000' }));
    expect(unknownToken.data.error_code).toBe('INVALID_ACCESS_TOKEN');
    const badKey = await expectPlaidError(plaid.webhookVerificationKeyGet({ key_id: 'nope' }));
    expect(badKey.data.error_code).toBe('INVALID_WEBHOOK_VERIFICATION_KEY_ID');

    const { accessToken } = sim.control.createItem();
    const overMax = await expectPlaidError(plaid.transactionsSync({ access_token: accessToken, count: 501 }));
    expect(overMax).toMatchObject({ status: 400, data: { error_type: 'INVALID_REQUEST', error_code: 'INVALID_FIELD' } });
    const underMin = await expectPlaidError(plaid.transactionsSync({ access_token: accessToken, count: 0 }));
    expect(underMin.data.error_code).toBe('INVALID_FIELD');
    const badCursor = await expectPlaidError(plaid.transactionsSync({ access_token: accessToken, cursor: 'bm90LWEtY3Vyc29y' }));
    expect(badCursor.data.error_code).toBe('INVALID_FIELD');
    const missing = await expectPlaidError(plaid.linkTokenCreate({ client_name: 'x', language: 'en', country_codes: [CountryCode.Us], products: [Products.Transactions] }));
    expect(missing.data.error_code).toBe('MISSING_FIELDS');
    const balance = await expectPlaidError(plaid.linkTokenCreate({ client_name: 'x', language: 'en', country_codes: [CountryCode.Us], user: { client_user_id: 'u' }, products: [Products.Balance] }));
    expect(balance.data).toMatchObject({ error_type: 'INVALID_INPUT', error_code: 'INVALID_PRODUCT' });
    const noProducts = await expectPlaidError(plaid.linkTokenCreate({ client_name: 'x', language: 'en', country_codes: [CountryCode.Us], user: { client_user_id: 'u' } }));
    expect(noProducts.data.error_code).toBe('MISSING_FIELDS');
    const badDates = await expectPlaidError(plaid.investmentsTransactionsGet({ access_token: accessToken, start_date: '2024-02-01', end_date: '2024-01-01' }));
    expect(badDates.data.error_code).toBe('INVALID_FIELD');
    const badAccount = await expectPlaidError(plaid.accountsGet({ access_token: accessToken, options: { account_ids: ['nope'] } }));
    expect(badAccount.data.error_code).toBe('INVALID_ACCOUNT_ID');

    const raw = await sim.fetch(new Request('https://simulator.plaid.test/item/get', {
      method: 'POST', headers: { 'content-type': 'application/json', 'PLAID-CLIENT-ID': 'test-client', 'PLAID-SECRET': 'test-secret' }, body: '{not json',
    }));
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ error_type: 'INVALID_REQUEST', error_code: 'INVALID_BODY' });
    const unknownPath = await sim.fetch(new Request('https://simulator.plaid.test/nope', { method: 'POST' }));
    expect(unknownPath.status).toBe(404);
  });

  it('accepts credentials in the body', async () => {
    sim = mswSimulator(server);
    const response = await sim.fetch(new Request('https://simulator.plaid.test/institutions/get_by_id', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'test-client', secret: 'test-secret', institution_id: 'ins_109509', country_codes: ['US'] }),
    }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ institution: { name: 'First Gingham Credit Union' } });
  });
});
