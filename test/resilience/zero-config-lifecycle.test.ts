import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftovers, processesNaming } from '../support/leftover-processes.js';
import { launchChromium } from '../support/chromium.js';
import { completeLinkPage } from '../support/link-page.js';
import { freePort } from '../support/service-process.js';

/**
 * Issue 18's acceptance, as a new user meets it: real `src/main.ts` processes on a fresh DATA_DIR,
 * driven only through HTTP (the API with the dev token from DATA_DIR) and Chromium (the Link page and
 * the admin page). First start interrupted by Ctrl+C, then link, break login, fix it in update mode,
 * revoke, re-link with adoption; a restart; and every action again against the same data.
 */
const root = path.resolve(import.meta.dirname, '../..');
const INSTITUTION = 'First Platypus Bank';
const NICKNAME = 'Everyday';
// Answers are read field by field; their schemas are tested elsewhere.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Linked {
  itemId: string;
  accountId: string;
}

describe('zero-config lifecycle through HTTP and Chromium: interrupted first start, every flow, a restart, every flow again', () => {
  let dataRoot: string;
  let dataDir: string;
  let env: Record<string, string>;
  let base: string;
  let browser: Browser;
  let service: ChildProcess | undefined;
  let output = '';
  const userId = randomUUID();

  /** A terminal's `npm start`: its own process group, so Ctrl+C reaches the whole group. */
  const launch = (): { child: ChildProcess; exited: Promise<void> } => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    service = child;
    const onData = (chunk: Buffer) => (output += chunk.toString());
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    return { child, exited: new Promise((resolve) => child.once('exit', () => resolve())) };
  };
  const ctrlC = async (run: { child: ChildProcess; exited: Promise<void> }): Promise<void> => {
    if (run.child.exitCode === null && run.child.signalCode === null) process.kill(-run.child.pid!, 'SIGINT');
    await run.exited;
    expect(await leftovers(dataDir), output.slice(-4000)).toEqual([]);
  };
  const waitForOutput = async (pattern: RegExp, run: { child: ChildProcess }): Promise<void> => {
    while (!pattern.test(output)) {
      if (run.child.exitCode !== null) throw new Error(`exited before ${pattern}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const start = async (): Promise<{ child: ChildProcess; exited: Promise<void> }> => {
    const run = launch();
    for (const deadline = Date.now() + 180_000; ;) {
      if (run.child.exitCode !== null) throw new Error(`service exited:\n${output}`);
      if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) return run;
      if (Date.now() > deadline) throw new Error(`service never became ready:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const secrets = async (): Promise<{ apiToken: string; adminPassword: string }> =>
    JSON.parse(await readFile(path.join(dataDir, 'dev-secrets.json'), 'utf8')) as { apiToken: string; adminPassword: string };
  const api = async (method: string, route: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`${base}/api${route}`, {
      method,
      headers: { authorization: `Bearer ${(await secrets()).apiToken}`, 'x-user-id': userId, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  /** Link → exchange through the simulated Link page; the exchange's answer. */
  const linkThroughPage = async (): Promise<Json> => {
    const token = await api('POST', '/plaid/link-token', {});
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    const publicToken = await completeLinkPage(browser, token.body.hosted_link_url as string, INSTITUTION);
    expect(publicToken).toMatch(/^public-sandbox-/);
    const exchanged = await api('POST', '/plaid/transactions/exchange', { public_token: publicToken });
    expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(201);
    return exchanged.body;
  };

  /** The item's detail page in the admin UI, logged in with the generated password. */
  const adminItemPage = async (itemId: string) => {
    const page = await browser.newPage();
    await page.goto(`${base}/admin`);
    await page.fill('input[name=password]', (await secrets()).adminPassword);
    await Promise.all([page.waitForURL(`${base}/admin/items`), page.click('button[type=submit]')]);
    await page.goto(`${base}/admin/items/${itemId}`);
    await page.locator('#item-live').waitFor();
    return page;
  };

  const syncOnDemand = async (linked: Linked): Promise<void> => {
    // A freshly linked item has no transactions until Plaid's initial update (the simulator's
    // readiness phases, about two seconds in simulator mode): sync until the first ones are there.
    for (const deadline = Date.now() + 60_000; ; ) {
      const synced = await api('POST', '/products/transactions/transactions/sync', { account_id: linked.accountId });
      expect(synced.status, JSON.stringify(synced.body)).toBe(200);
      expect(synced.body.errors).toEqual([]);
      const page = await api('GET', `/accounts/${linked.accountId}/transactions?limit=5`);
      expect(page.status).toBe(200);
      if (page.body.transactions.length > 0) return;
      if (Date.now() > deadline) throw new Error(`no transactions on ${linked.accountId} after on-demand syncs`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  /** Sync, break login (admin button), fix in update mode (Link page), revoke (admin button), re-link. */
  const everyAction = async (linked: Linked): Promise<Linked> => {
    await syncOnDemand(linked);

    const page = await adminItemPage(linked.itemId);
    try {
      await page.waitForSelector('#item-live[data-status="active"]');
      await page.click('button[data-sim-action="break-login"]');
      await page.waitForSelector('#item-live[data-status="needs_reauth"][data-live="idle"]', { timeout: 60_000 });
      expect(await page.locator('#item-live .facts').textContent()).toContain('ITEM_LOGIN_REQUIRED');
      expect((await api('GET', `/items/${linked.itemId}`)).body.status).toBe('needs_reauth');

      const update = await api('POST', '/plaid/link-token', { item_id: linked.itemId });
      expect(update.status, JSON.stringify(update.body)).toBe(200);
      expect(await completeLinkPage(browser, update.body.hosted_link_url as string, null)).toBeNull();
      const repaired = await api('POST', `/items/${linked.itemId}/reauth-complete`);
      expect(repaired.status, JSON.stringify(repaired.body)).toBe(200);
      expect(repaired.body).toMatchObject({ id: linked.itemId, status: 'active' });
      await page.waitForSelector('#item-live[data-status="active"][data-live="idle"]', { timeout: 60_000 });
      // Still active once the syncs the repair asked for have finished: nothing sets it back.
      expect((await api('GET', `/items/${linked.itemId}`)).body.status).toBe('active');
      await syncOnDemand(linked);

      await page.click('button[data-sim-action="revoke"]');
      await page.waitForSelector('#item-live[data-status="disconnected"][data-live="idle"]', { timeout: 60_000 });
      expect((await api('GET', `/items/${linked.itemId}`)).body).toMatchObject({ status: 'disconnected', action: 'relink' });
    } finally {
      await page.close();
    }

    const relinked = await linkThroughPage();
    expect(relinked.item.id).not.toBe(linked.itemId);
    expect(relinked.adoptions.length).toBeGreaterThan(0);
    const successor = (relinked.item.accounts as Json[]).find((a) => a.settings.nickname === NICKNAME);
    expect(successor, JSON.stringify(relinked.item.accounts)).toBeDefined();
    const old = ((await api('GET', `/items/${linked.itemId}`)).body.accounts as Json[]).find((a) => a.id === linked.accountId);
    expect(old).toMatchObject({ status: 'replaced', replaced_by: successor.id });
    return { itemId: relinked.item.id as string, accountId: successor.id as string };
  };

  beforeAll(async () => {
    dataRoot = await mkdtemp(path.join(tmpdir(), 'plaid-sync-lifecycle-'));
    // mkdtemp makes it 0700; the embedded PostgreSQL may run as another user that must reach it.
    await chmod(dataRoot, 0o755);
    dataDir = path.join(dataRoot, '.data');
    const port = String(await freePort());
    base = `http://127.0.0.1:${port}`;
    env = { DATA_DIR: dataDir, PORT: port, HOST: '127.0.0.1', EMBEDDED_POSTGRES_PORT: String(await freePort()), LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT_MS: '5000' };
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (service && service.exitCode === null && service.signalCode === null) {
      const exited = new Promise((resolve) => service!.once('exit', resolve));
      process.kill(-service.pid!, 'SIGINT');
      await exited;
    }
    if (!dataRoot) return;
    // A failed run may have left a PostgreSQL: stop it by its pid so the machine stays clean.
    for (const line of await processesNaming(dataRoot)) process.kill(Number(line.split(':')[0]), 'SIGKILL');
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('survives Ctrl+C during the first start, then links, breaks, fixes, revokes and re-links before and after a restart', async () => {
    // First start, interrupted once the simulator listens (initdb done, queue and workers starting).
    const first = launch();
    await waitForOutput(/"simulator_started"/, first);
    await ctrlC(first);
    expect(output).not.toContain('"service_started"');

    let run = await start();
    const linkedBody = await linkThroughPage();
    expect(linkedBody.item.status).toBe('active');
    // The transactions product's account: the item also carries the bank's investment and loan accounts.
    const account = (linkedBody.item.accounts as Json[]).find((a) => a.product === 'transactions')!;
    const named = await api('PATCH', `/accounts/${account.id}/settings`, { nickname: NICKNAME });
    expect(named.status, JSON.stringify(named.body)).toBe(200);
    let linked: Linked = { itemId: linkedBody.item.id as string, accountId: account.id as string };
    // The first sync stores the history the on-demand sync then reads.
    for (const deadline = Date.now() + 90_000; (await api('GET', `/accounts/${linked.accountId}/transactions?limit=1`)).body.transactions.length === 0;) {
      if (Date.now() > deadline) throw new Error(`no first sync:\n${output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    linked = await everyAction(linked);

    await ctrlC(run);
    run = await start();
    linked = await everyAction(linked);
    await syncOnDemand(linked);

    const items = (await api('GET', '/items')).body.items as { id: string; status: string }[];
    expect(items.map((i) => i.status).sort()).toEqual(['active', 'disconnected', 'disconnected']);
    await ctrlC(run);
  }, 600_000);
});
