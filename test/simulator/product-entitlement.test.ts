import { setupServer } from 'msw/node';
import { AccountType, CountryCode, Products } from 'plaid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';
import { expectPlaidError, mswSimulator, plaidClient } from './support.js';

const server = setupServer();
let sim: Simulator | undefined;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(async () => {
  server.resetHandlers();
  await sim?.close();
  sim = undefined;
});
afterAll(() => server.close());

const linkRequest = { client_name: 'plaid-sync', language: 'en', country_codes: [CountryCode.Us], user: { client_user_id: 'user-1' } };

/** Links through /link/token/create and the control's Link completion, as the service's users do. */
async function link(simulator: Simulator, institutionId: string, lists: Record<string, Products[]>) {
  const plaid = plaidClient();
  const token = await plaid.linkTokenCreate({ ...linkRequest, ...lists });
  const { publicToken } = simulator.control.completeLink({ linkToken: token.data.link_token, institutionId });
  const { data } = await plaid.itemPublicTokenExchange({ public_token: publicToken });
  return { plaid, accessToken: data.access_token, itemId: data.item_id };
}

describe('product entitlement in the simulator (as Plaid: Adding products post-Link, Data Transparency Messaging)', () => {
  it('makes the Item from products, required-if-supported, optional and additional-consented lists, as /item/get shows it', async () => {
    sim = mswSimulator(server);
    // First Gingham has no investments: the required-if-supported investments is left out, Link still succeeds.
    const { plaid, accessToken } = await link(sim, 'ins_109509', {
      products: [Products.Transactions],
      required_if_supported_products: [Products.Investments],
      optional_products: [Products.Liabilities],
      additional_consented_products: [Products.Identity],
    });
    const { item } = (await plaid.itemGet({ access_token: accessToken })).data;
    expect(item.products).toEqual([Products.Transactions, Products.Liabilities]);
    expect(item.billed_products).toEqual([Products.Transactions, Products.Liabilities]);
    // Consent covers what the institution offers of the lists (how Plaid treats the others is not documented).
    expect(item.consented_products).toEqual([Products.Transactions, Products.Liabilities, Products.Identity]);
    expect(item.available_products).toEqual(expect.arrayContaining([Products.Identity, Products.Auth]));
    expect(item.available_products).not.toContain(Products.Transactions);
    expect(sim.control.stats().billedAdds).toEqual([]);
  });

  it('gives an Item the test user\'s full account set whatever products were asked for, unless a test asks for the products\' accounts only', async () => {
    sim = mswSimulator(server);
    const { plaid, accessToken } = await link(sim, 'ins_109508', { products: [Products.Transactions] });
    const types = (await plaid.accountsGet({ access_token: accessToken })).data.accounts.map((a) => `${a.type}/${a.subtype}`);
    expect(types).toEqual(['depository/checking', 'depository/savings', 'credit/credit card', 'investment/brokerage', 'investment/401k', 'loan/student', 'loan/mortgage']);

    const narrow = sim.control.createItem({ products: [Products.Transactions], accountSet: 'products' });
    const narrowTypes = (await plaid.accountsGet({ access_token: narrow.accessToken })).data.accounts.map((a) => a.type);
    expect(narrowTypes).toEqual([AccountType.Depository, AccountType.Depository, AccountType.Credit]);
  });

  it('refuses a product the user did not consent to with ADDITIONAL_CONSENT_REQUIRED, and bills nothing', async () => {
    sim = mswSimulator(server);
    const { plaid, accessToken } = await link(sim, 'ins_109508', { products: [Products.Transactions] });
    const refused = await expectPlaidError(plaid.investmentsHoldingsGet({ access_token: accessToken }));
    expect(refused).toMatchObject({ status: 400, data: { error_type: 'ITEM_ERROR', error_code: 'ADDITIONAL_CONSENT_REQUIRED' } });
    const liabilities = await expectPlaidError(plaid.liabilitiesGet({ access_token: accessToken }));
    expect(liabilities.data.error_code).toBe('ADDITIONAL_CONSENT_REQUIRED');
    expect((await plaid.itemGet({ access_token: accessToken })).data.item.products).toEqual([Products.Transactions]);
    expect(sim.control.stats().billedAdds).toEqual([]);
  });

  it('adds and bills an additional-consented product on its first call, once', async () => {
    sim = mswSimulator(server);
    const { plaid, accessToken, itemId } = await link(sim, 'ins_109508', {
      products: [Products.Transactions],
      additional_consented_products: [Products.Investments],
    });
    expect((await plaid.itemGet({ access_token: accessToken })).data.item.billed_products).toEqual([Products.Transactions]);
    const holdings = (await plaid.investmentsHoldingsGet({ access_token: accessToken })).data;
    expect(holdings.holdings.length).toBeGreaterThan(0);
    await plaid.investmentsHoldingsGet({ access_token: accessToken });
    expect(sim.control.stats().billedAdds).toEqual([{ itemId, product: Products.Investments }]);
    const { item } = (await plaid.itemGet({ access_token: accessToken })).data;
    expect(item.billed_products).toEqual([Products.Transactions, Products.Investments]);
    expect(item.available_products).not.toContain(Products.Investments);
  });

  it('adds any supported product to an Item without consent tracking, and still refuses one the institution lacks', async () => {
    sim = mswSimulator(server);
    const plaid = plaidClient();
    const legacy = sim.control.createItem({ institutionId: 'ins_109509', products: [Products.Transactions], dataTransparency: false });
    expect((await plaid.itemGet({ access_token: legacy.accessToken })).data.item.consented_products).toBeUndefined();
    await plaid.liabilitiesGet({ access_token: legacy.accessToken });
    const unsupported = await expectPlaidError(plaid.investmentsHoldingsGet({ access_token: legacy.accessToken }));
    expect(unsupported.data.error_code).toBe('PRODUCTS_NOT_SUPPORTED');
    expect(sim.control.stats().billedAdds).toEqual([{ itemId: legacy.itemId, product: Products.Liabilities }]);
  });

  it('refuses a product named in two lists of /link/token/create', async () => {
    sim = mswSimulator(server);
    const twice = await expectPlaidError(plaidClient().linkTokenCreate({
      ...linkRequest, products: [Products.Transactions], optional_products: [Products.Transactions],
    }));
    expect(twice.data.error_code).toBe('INVALID_FIELD');
  });
});
