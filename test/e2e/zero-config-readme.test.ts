import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { completeLinkPage } from '../support/link-page.js';
import { freePort } from '../support/service-process.js';

/**
 * Follows the README's zero-configuration section literally: its marked shell blocks run against a
 * started service (only the port is changed, as 3000 may be taken), its browser step runs in
 * Chromium. Then the service restarts twice, and every flow still works against the same data.
 */
const root = path.resolve(import.meta.dirname, '../..');
const USER_ID = '6f1c2b0e-8d4b-4f8a-9d2e-1a2b3c4d5e6f';
// Answers are read field by field as the README's reader would; their schemas are tested elsewhere.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The shell block that follows `<!-- zero-config: name -->` in the README. */
async function readmeBlock(name: string): Promise<string> {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- zero-config: ${name} -->\\s*\`\`\`bash\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match?.[1]) throw new Error(`README has no zero-config block "${name}"`);
  return match[1];
}

describe('the README zero-configuration flow, followed literally, and restarts', () => {
  let dataRoot: string;
  let port: number;
  let env: Record<string, string>;
  let browser: Browser;
  let service: ChildProcess | undefined;
  let serviceOutput = '';

  const shell = (script: string): string => {
    const result = spawnSync('bash', ['-euo', 'pipefail', '-c', script.replaceAll('localhost:3000', `localhost:${port}`)], { cwd: dataRoot, encoding: 'utf8', env: { PATH: process.env.PATH } });
    if (result.status !== 0) throw new Error(`README commands failed (${result.status}):\n${script}\n${result.stderr}`);
    return result.stdout;
  };

  const start = async (): Promise<void> => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/main.ts')], { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    service = child;
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (serviceOutput += chunk.toString()));
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`service exited:\n${output}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      // The first start links its demo items after readiness; the API is usable either way.
      if (ready) return;
      if (attempt > 600) throw new Error(`service never became ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const stop = async (): Promise<void> => {
    const child = service;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    service = undefined;
  };

  const api = async (method: string, route: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const secrets = JSON.parse(await readFile(path.join(dataRoot, '.data', 'dev-secrets.json'), 'utf8')) as { apiToken: string };
    const res = await fetch(`http://127.0.0.1:${port}/api${route}`, {
      method,
      headers: { authorization: `Bearer ${secrets.apiToken}`, 'x-user-id': USER_ID, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  /** What the service and the simulator hold for the item, for a timeout's message. */
  const stateOf = async (itemId: string, simulator: string, plaidItemId: string): Promise<string> => {
    const item = await api('GET', `/items/${itemId}`).then((r) => JSON.stringify(r.body), (error: Error) => error.message);
    const simulated = await fetch(`${simulator}/simulator/items/${plaidItemId}`).then((r) => r.text(), (error: Error) => error.message);
    const webhooks = await fetch(`${simulator}/simulator/webhooks`).then((r) => r.text(), (error: Error) => error.message);
    return `service item: ${item}\nsimulator item: ${simulated.slice(0, 2000)}\nsimulator webhooks: ${webhooks.slice(-3000)}`;
  };
  const eventually = async <T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, explain?: () => Promise<string>): Promise<T> => {
    // Webhooks and queued syncs take their time on a loaded machine; the budget is generous, the poll quick.
    for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
      const value = await read();
      if (ok(value)) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const state = explain ? `\n${await explain()}` : '';
    throw new Error(`timed out waiting for ${what}; the service said:\n${serviceOutput.slice(-6000)}${state}`);
  };

  beforeAll(async () => {
    dataRoot = await mkdtemp(path.join(tmpdir(), 'plaid-sync-readme-'));
    // mkdtemp makes it 0700; the embedded PostgreSQL may run as another user that must reach .data.
    await chmod(dataRoot, 0o755);
    port = await freePort();
    env = { DATA_DIR: path.join(dataRoot, '.data'), PORT: String(port), EMBEDDED_POSTGRES_PORT: String(await freePort()), LOG_LEVEL: 'warn' };
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stop();
    if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
  });

  it('links, exchanges and reads data as the README shows; after two restarts sync, advance, break and fix login, and linking all work', async () => {
    await start();
    const setup = await readmeBlock('setup');
    const linkToken = JSON.parse(shell(`${setup}\n${await readmeBlock('link-token')}`)) as { link_token: string; hosted_link_url: string };
    expect(linkToken.hosted_link_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/link\?token=link-sandbox-/);

    const publicToken = await completeLinkPage(browser, linkToken.hosted_link_url, 'First Platypus Bank');
    expect(publicToken).toMatch(/^public-sandbox-/);
    const exchange = (await readmeBlock('exchange')).replace('public-sandbox-…', publicToken!);
    expect(exchange).toContain(`PUBLIC_TOKEN=${publicToken!}`);
    const output = shell(`${setup}\n${exchange}`);
    const items = (await api('GET', '/items')).body.items as { id: string; status: string }[];
    expect(items).toHaveLength(1);
    const item = items[0]!;
    expect(item.status).toBe('active');
    // The README's reads answered: the item, then its transactions page.
    expect(output).toContain(`"id":"${item.id}"`);
    expect(output).toContain('"transactions":[');
    const itemAccounts = ((await api('GET', `/items/${item.id}`)).body.accounts as { id: string; product: string }[])
      .filter((a) => a.product === 'transactions')
      .map((a) => a.id);
    const account = itemAccounts[0]!;
    await eventually(() => api('GET', `/accounts/${account}/transactions?limit=5`), (r) => r.body.transactions.length > 0, 'the first sync');

    for (let restart = 1; restart <= 2; restart++) {
      await stop();
      await start();
      // The access token still works: a sync on demand succeeds.
      const synced = await api('POST', '/products/transactions/transactions/sync', { account_id: account });
      expect(synced.status, JSON.stringify(synced.body)).toBe(200);
      expect(synced.body.errors).toEqual([]);

      // Advance at the simulator (its URL is in every hosted_link_url), then the sync brings the change.
      const token = (await api('POST', '/plaid/link-token', {})).body as { hosted_link_url: string };
      const simulator = new URL(token.hosted_link_url).origin;
      const plaidItemId = (await api('GET', `/items/${item.id}`)).body.plaid_item_id as string;
      // The whole item's transactions: the simulator spreads new ones over its accounts by weight (a
      // savings or student loan account gets none of 30 often enough to fail a test that read only it).
      const itemTransactions = `/transactions?limit=500&${itemAccounts.map((id) => `account_id=${id}`).join('&')}`;
      const before = await api('GET', itemTransactions);
      const beforeIds = new Set((before.body.transactions as { id: string }[]).map((t) => t.id));
      const advanced = await fetch(`${simulator}/simulator/items/${plaidItemId}/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ added: 30 }) });
      expect(advanced.status).toBe(200);
      await eventually(async () => {
        await api('POST', '/products/transactions/transactions/sync', { account_id: account });
        return api('GET', itemTransactions);
        // New ids, not a longer page: once the history has arrived the account may hold more than a page.
      }, (r) => (r.body.transactions as { id: string }[]).some((t) => !beforeIds.has(t.id)), 'the advanced transactions', () => stateOf(item.id, simulator, plaidItemId));

      // Break the login, then fix it through the Link page in update mode.
      const broken = await fetch(`${simulator}/simulator/items/${plaidItemId}/login-required`, { method: 'POST' });
      expect(await broken.json()).toEqual({ webhookFired: true });
      // The ITEM_ERROR webhook marks it, or the next sync does: a sync already running when the login
      // broke may still finish with its data, so a further one is asked for until the state shows.
      await eventually(async () => {
        await api('POST', '/products/transactions/transactions/sync', { account_id: account });
        return api('GET', `/items/${item.id}`);
      }, (r) => r.body.status === 'needs_reauth', 'needs_reauth', () => stateOf(item.id, simulator, plaidItemId));
      const update = await api('POST', '/plaid/link-token', { item_id: item.id });
      expect(update.status).toBe(200);
      await completeLinkPage(browser, update.body.hosted_link_url as string, null);
      const repaired = await api('POST', `/items/${item.id}/reauth-complete`);
      expect(repaired.status, JSON.stringify(repaired.body)).toBe(200);
      expect((await api('GET', `/items/${item.id}`)).body.status).toBe('active');

      // Link another item: a new Plaid item id, never one handed out before the restart.
      const another = await api('POST', '/plaid/link-token', { products: ['investments'] });
      // One live item per institution and user: each restart links at another brokerage.
      const anotherToken = await completeLinkPage(browser, another.body.hosted_link_url as string, restart === 1 ? 'Plaidypus Brokerage' : 'Tattersall Federal Credit Union');
      const linked = await api('POST', '/plaid/transactions/exchange', { public_token: anotherToken });
      expect(linked.status, JSON.stringify(linked.body)).toBe(201);
      const items = (await api('GET', '/items')).body.items as { plaid_item_id: string }[];
      expect(new Set(items.map((i) => i.plaid_item_id)).size).toBe(items.length);
      expect(items).toHaveLength(restart + 1);
    }
  }, 400_000);
});
