import { Products, CountryCode } from 'plaid';
import type { PlaidApi } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorServer } from '../../src/simulator/index.js';
import { CLIENT_ID, SECRET, plaidClient } from './support.js';

let server: Awaited<ReturnType<typeof startSimulatorServer>>;
let plaid: PlaidApi;

beforeAll(async () => {
  server = await startSimulatorServer({ clientId: CLIENT_ID, secret: SECRET, defaultTransactionCount: 10 });
  plaid = plaidClient(server.url);
});
afterAll(async () => {
  await server.close();
});

const base = { client_name: 'test', language: 'en', country_codes: [CountryCode.Us], user: { client_user_id: 'user-1' } };

async function hostedLink(extra: Record<string, unknown>): Promise<{ token: string; url: string }> {
  const { data } = await plaid.linkTokenCreate({ ...base, hosted_link: {}, ...extra });
  expect(data.hosted_link_url).toBe(`${server.url}/link?token=${encodeURIComponent(data.link_token)}`);
  return { token: data.link_token, url: data.hosted_link_url! };
}

function form(path: string, fields: [string, string][]): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
}

function sessionOf(html: string): string {
  const match = /name="session" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error(`no session in ${html}`);
  return match[1];
}

describe('the simulated Link page (Hosted Link)', () => {
  it('links an item: institutions offering the products, Sandbox credentials, account selection, a public token to exchange', async () => {
    const { token, url } = await hostedLink({ products: [Products.Liabilities] });
    const picker = await fetch(url);
    expect(picker.status).toBe(200);
    expect(picker.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(picker.headers.get('referrer-policy')).toBe('no-referrer');
    const list = await picker.text();
    expect(list).toContain('Paisley Home &amp; Student Lending');
    expect(list).not.toContain('Houndstooth Bank');

    // An institution without the products is refused.
    expect((await fetch(`${url}&institution_id=ins_109512`)).status).toBe(400);
    expect(await (await fetch(`${url}&institution_id=ins_sim_lender`)).text()).toContain('Log in to Paisley');

    const wrong = await form('/link/login', [['token', token], ['institution_id', 'ins_sim_lender'], ['username', '<b>user_good</b>'], ['password', 'nope']]);
    expect(wrong.status).toBe(401);
    const wrongHtml = await wrong.text();
    expect(wrongHtml).toContain('The provided credentials were not correct. Please try again.');
    expect(wrongHtml).toContain('&lt;b&gt;user_good&lt;/b&gt;');
    expect(wrongHtml).not.toContain('<b>user_good');

    const accounts = await form('/link/login', [['token', token], ['institution_id', 'ins_sim_lender'], ['username', 'user_good'], ['password', 'pass_good']]);
    const accountsHtml = await accounts.text();
    expect(accountsHtml).toContain('Plaid Student Loan');
    expect(accountsHtml).toContain('Plaid Mortgage');
    const session = sessionOf(accountsHtml);
    expect((await form('/link/accounts', [['session', session]])).status).toBe(400);
    expect((await form('/link/accounts', [['session', 'forged'], ['account', '0']])).status).toBe(400);

    const done = await form('/link/accounts', [['session', session], ['account', '1']]);
    expect(done.status).toBe(200);
    const publicToken = /id="public-token">([^<]+)</.exec(await done.text())?.[1];
    expect(publicToken).toMatch(/^public-sandbox-/);
    const exchanged = await plaid.itemPublicTokenExchange({ public_token: publicToken! });
    const { data } = await plaid.accountsGet({ access_token: exchanged.data.access_token });
    expect(data.accounts.map((a) => a.name)).toEqual(['Plaid Mortgage']);
    // The session is used up.
    expect((await form('/link/accounts', [['session', session], ['account', '0']])).status).toBe(400);
  });

  it('update mode logs in again and repairs ITEM_LOGIN_REQUIRED; a completion_redirect_uri gets the browser back', async () => {
    const created = await plaid.sandboxPublicTokenCreate({ institution_id: 'ins_109508', initial_products: [Products.Transactions] });
    const { data: item } = await plaid.itemPublicTokenExchange({ public_token: created.data.public_token });
    await plaid.sandboxItemResetLogin({ access_token: item.access_token });
    const { token, url } = await hostedLink({ access_token: item.access_token, hosted_link: { completion_redirect_uri: 'https://app.example/done' } });

    expect(await (await fetch(url)).text()).toContain('Reconnect to First Platypus Bank');
    const wrong = await form('/link/login', [['token', token], ['username', 'user_good'], ['password', 'pass_bad']]);
    expect(wrong.status).toBe(401);
    expect((await plaid.itemGet({ access_token: item.access_token })).data.item.error?.error_code).toBe('ITEM_LOGIN_REQUIRED');

    const repaired = await form('/link/login', [['token', token], ['username', 'user_good'], ['password', 'pass_good']]);
    expect(repaired.status).toBe(303);
    expect(repaired.headers.get('location')).toBe('https://app.example/done');
    expect((await plaid.itemGet({ access_token: item.access_token })).data.item.error).toBeNull();
  });

  it('refuses an unknown or expired link token with a page that says what to do', async () => {
    const res = await fetch(`${server.url}/link?token=link-sandbox-nope`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Create a new one');
    const { data } = await plaid.linkTokenCreate({ ...base, products: [Products.Transactions] });
    expect(data.hosted_link_url).toBeUndefined();
  });
});
