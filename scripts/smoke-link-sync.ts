/**
 * One app-side flow against a running service and the simulator it talks to: a Link token, Link
 * completed at the simulator, the public token exchanged, one account synced, its transactions read.
 * Usage: node --import tsx scripts/smoke-link-sync.ts <service url> <simulator url> <API token>
 */
const [serviceUrl, simulatorUrl, apiToken] = process.argv.slice(2);
if (!serviceUrl || !simulatorUrl || !apiToken) {
  process.stderr.write('usage: smoke-link-sync.ts <service url> <simulator url> <API token>\n');
  process.exit(2);
}
const userId = '6f1c2b0e-8d4b-4f8a-9d2e-1a2b3c4d5e6f';

async function call(url: string, init: { method?: string; body?: unknown; api?: boolean }, expected: number) {
  const response = await fetch(url, {
    method: init.method ?? 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(init.api ? { Authorization: `Bearer ${apiToken}`, 'X-User-Id': userId } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${init.method ?? 'POST'} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const institution = { institution_id: 'ins_109508', name: 'First Platypus Bank' };
const link = await call(`${serviceUrl}/api/plaid/link-token`, { api: true, body: { products: ['transactions'] } }, 200);
const completed = await call(`${simulatorUrl}/simulator/link/complete`, { body: { link_token: link.link_token, institution_id: institution.institution_id } }, 200);
const exchanged = await call(`${serviceUrl}/api/plaid/transactions/exchange`, { api: true, body: { public_token: completed.publicToken, institution } }, 201);
const item = exchanged.item as { id: string; accounts: { id: string; product: string | null }[] };
const account = item.accounts.find((candidate) => candidate.product === 'transactions');
if (!account) throw new Error(`linked item ${item.id} has no transactions account`);
const synced = await call(`${serviceUrl}/api/products/transactions/transactions/sync`, { api: true, body: { account_id: account.id } }, 200);

// The initial sync may still be running in a worker; wait for the account's transactions to land.
const deadline = Date.now() + 60_000;
for (;;) {
  const page = await call(`${serviceUrl}/api/accounts/${account.id}/transactions`, { method: 'GET', api: true }, 200);
  const count = (page.transactions as unknown[] | undefined)?.length ?? 0;
  if (count > 0) {
    process.stdout.write(`linked item ${item.id}; sync answered ${JSON.stringify(synced)}; ${count} transactions on the first page\n`);
    break;
  }
  if (Date.now() > deadline) throw new Error(`no transactions on account ${account.id} after 60 s`);
  await new Promise((resolve) => setTimeout(resolve, 500));
}
