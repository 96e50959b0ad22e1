import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CountryCode, Products } from 'plaid';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulatorServer } from '../../src/simulator/index.js';
import { CLIENT_ID, SECRET, expectPlaidError, pageAll, plaidClient, verifyWebhook } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real HTTP webhook receiver that keeps the raw bytes and resolves when a hook arrives. */
async function receiver() {
  const received: { headers: Record<string, string | string[] | undefined>; raw: string }[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received };
}

describe('startSimulatorServer on a real port', () => {
  it('serves the SDK over HTTP and delivers signed webhooks with the default fetch', async () => {
    const hooks = await receiver();
    const running = await startSimulatorServer({ clientId: CLIENT_ID, secret: SECRET, port: 0, seed: 21 });
    cleanups.push(() => running.close());
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const plaid = plaidClient(running.url);

    const { data: created } = await plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508', initial_products: [Products.Transactions], options: { webhook: hooks.url },
    });
    const { data: exchange } = await plaid.itemPublicTokenExchange({ public_token: created.public_token });
    const first = await pageAll(plaid, exchange.access_token, undefined, 100);
    expect(first.pages.flatMap((p) => p.added)).toHaveLength(250);

    running.simulator.control.advance(exchange.item_id, { added: 4, removed: 2 });
    await running.simulator.control.idle();
    expect(hooks.received).toHaveLength(1);
    const [hook] = hooks.received;
    const getKey = async (kid: string) => (await plaid.webhookVerificationKeyGet({ key_id: kid })).data.key;
    await verifyWebhook(hook!.headers['plaid-verification'] as string, hook!.raw, getKey);
    expect(JSON.parse(hook!.raw)).toMatchObject({ webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: exchange.item_id });

    const delta = await pageAll(plaid, exchange.access_token, first.cursor);
    expect(delta.pages[0]!.added).toHaveLength(4);
    expect(delta.pages[0]!.removed).toHaveLength(2);

    const institution = await plaid.institutionsGetById({ institution_id: 'ins_sim_brokerage', country_codes: [CountryCode.Us] });
    expect(institution.data.institution.products).toContain(Products.Investments);
    const wrong = await expectPlaidError(plaidClient(running.url, 'nope').accountsGet({ access_token: exchange.access_token }));
    expect(wrong.data.error_code).toBe('INVALID_API_KEYS');
    expect(running.simulator.control.calls('/transactions/sync')).toBe(first.pages.length + delta.pages.length);

    const stats = await fetch(`${running.url}/simulator/stats`).then((r) => r.json() as Promise<{ calls: Record<string, number> }>);
    expect(stats.calls['/accounts/get']).toBe(1);
  });

  it('binds the host it is given and refuses a port in use', async () => {
    const running = await startSimulatorServer({ clientId: CLIENT_ID, secret: SECRET, host: '127.0.0.1' });
    cleanups.push(() => running.close());
    const port = Number(new URL(running.url).port);
    await expect(startSimulatorServer({ clientId: CLIENT_ID, secret: SECRET, port })).rejects.toThrow();
  });
});
