import { loopbackOrigins } from '../../src/config/public-origins.js';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Products } from 'plaid';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app.js';
import { exchangePublicToken } from '../../src/services/exchange-service.js';
import { linkDemoItem } from '../../src/simulator-demo/link-demo-item.js';
import { createInProcessScheduler, type RunningScheduler } from '../../src/sync/in-process-scheduler.js';
import { createSyncEngine, type SyncEngine } from '../../src/sync/sync-engine.js';
import { insertItem } from '../support/admin.js';
import { buildTestApp, TEST_ADMIN_PASSWORD, testConfig } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env.ADMIN_SCREENSHOTS;

let database: TestDatabase;
let simulator: TestSimulator;
let engine: SyncEngine;
let scheduler: RunningScheduler;
let deps: AppDeps;
let server: ServerType;
let browser: Browser;
let baseUrl: string;
const cspViolations: string[] = [];

/** An item linked the way the app links one: Link's public token through the service's exchange. */
async function link(institutionId: string, product: Products) {
  const { data } = await deps.plaid.sandboxPublicTokenCreate({ institution_id: institutionId, initial_products: [product] });
  const { item } = await exchangePublicToken(deps, { userId: randomUUID(), publicToken: data.public_token });
  return item;
}

async function itemIdAt(institutionName: string): Promise<{ id: string; plaidItemId: string }> {
  const [row] = await database.sql<{ id: string; plaidItemId: string }[]>`
    select id, plaid_item_id as "plaidItemId" from plaid_items where institution_name = ${institutionName} and status <> 'disconnected' order by created_at limit 1`;
  return row!;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  database = await createTestDatabase();
  simulator = startTestSimulator({ defaultTransactionCount: 40 });
  // The browser names 127.0.0.1 and the server's port: the admin page's allow-list must hold it.
  const config = testConfig({ webhookUrl: undefined, publicOrigins: loopbackOrigins(0) });
  const probe = buildTestApp(database, { config });
  engine = createSyncEngine({ db: database.db, sql: database.sql, plaid: probe.deps.plaid, vault: probe.deps.vault, logger: probe.deps.logger, metrics: probe.deps.metrics });
  scheduler = createInProcessScheduler({ engine, logger: probe.deps.logger });
  const built = buildTestApp(database, { config, syncs: scheduler, plaid: probe.deps.plaid, vault: probe.deps.vault });
  deps = built.deps;
  // Transactions (First Platypus, First Gingham), investments (the brokerage), liabilities (the lender).
  for (const index of [0, 1, 3]) await linkDemoItem(deps, { index });
  await link('ins_sim_lender', Products.Liabilities);
  // An item the simulator never issued: every call for it answers INVALID_ACCESS_TOKEN or ITEM_NOT_FOUND.
  await insertItem(database.sql, deps.vault, { institutionName: 'Forgotten Bank', institutionId: 'ins_forgotten' });
  await engine.idle();

  server = await new Promise<ServerType>((resolve) => {
    const instance = serve({ fetch: built.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(instance));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await scheduler?.stop(1000);
  await simulator?.close();
  await database?.drop();
});

async function openPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.goto(`${baseUrl}/admin`);
  await page.fill('input[name=password]', TEST_ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(`${baseUrl}/admin/items`), page.click('button[type=submit]')]);
  await page.locator('tr.item-row').first().waitFor();
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  // Only when asked (ADMIN_SCREENSHOTS=dir): the images are for looking at, not for the repository.
  if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

async function openItem(page: Page, itemId: string): Promise<void> {
  await page.goto(`${baseUrl}/admin/items/${itemId}`);
  await page.locator('#item-live').waitFor();
}

describe('an admin page that tells the truth (chromium)', () => {
  it('a stale page shows the 409 of a Re-sync on an item another operator revoked, then catches up without a reload', async () => {
    const stale = await openPage();
    const platypus = await itemIdAt('First Platypus Bank');
    // The stale tab: its list stops hearing about changes, as a page did before it polled.
    let blocked = true;
    await stale.route(/\/admin\/items\?(.*&)?v=/, (route) => (blocked ? route.fulfill({ status: 204 }) : route.continue()));

    const other = await openPage();
    await openItem(other, platypus.id);
    await other.click('button[data-sim-action="revoke"]');
    await other.waitForSelector('#item-live[data-status="disconnected"][data-live="idle"]', { timeout: 30_000 });
    // The operator who revoked sees every action disabled at once.
    for (const action of ['resync', 'backfill', 'check-status']) expect(await other.locator(`#item-live [data-action="${action}"]`).first().isDisabled()).toBe(true);

    const row = `#item-${platypus.id}`;
    expect(await stale.locator(`${row} .badge-active`).count()).toBe(1);
    await stale.click(`${row} button:has-text("Re-sync")`);
    await stale.waitForSelector('#flash .flash-error');
    expect(await stale.locator('#flash .flash-error').textContent()).toContain('A disconnected item is never synced');
    await shot(stale, 'truth-01-stale-409');

    blocked = false;
    await stale.waitForSelector(`${row}[data-status="disconnected"]`, { timeout: 20_000 });
    expect(await stale.locator(`${row} button:has-text("Re-sync")`).isDisabled()).toBe(true);
    await stale.close();
    await other.close();
  }, 90_000);

  it('shows the 502 of a simulator control, and a broken item (INVALID_ACCESS_TOKEN) with an error badge in the page and the list', async () => {
    const page = await openPage();
    const forgotten = await itemIdAt('Forgotten Bank');
    await openItem(page, forgotten.id);
    await page.click('button[data-sim-action="advance"]');
    await page.waitForSelector('#flash .flash-error');
    expect(await page.locator('#flash .flash-error').textContent()).toContain('The simulator refused advance (ITEM_NOT_FOUND)');
    await shot(page, 'truth-02-simulator-502');

    await page.click('button[data-action="check-status"]');
    await page.waitForSelector('#item-live[data-broken="true"]');
    expect(await page.locator('#item-live .facts .badge-active').textContent()).toBe('active');
    expect(await page.locator('#item-live .facts .badge-bad').textContent()).toBe('error');
    expect(await page.locator('#item-live .facts').textContent()).toContain('INVALID_ACCESS_TOKEN');
    expect(await page.locator('#flash .flash-ok').textContent()).toContain('INVALID_ACCESS_TOKEN');

    await page.goto(`${baseUrl}/admin/items`);
    const row = page.locator(`#item-${forgotten.id}`);
    await row.waitFor();
    expect(await row.getAttribute('class')).toContain('broken');
    expect(await row.locator('.badge-bad').textContent()).toBe('error');
    expect(await row.locator('.col-error').textContent()).toContain('INVALID_ACCESS_TOKEN');
    await shot(page, 'truth-03-broken-in-list');
    await page.close();
  }, 60_000);

  it('follows a status change made elsewhere without a reload, and repairs the login through update mode', async () => {
    const page = await openPage();
    const gingham = await itemIdAt('First Gingham Credit Union');
    await openItem(page, gingham.id);
    await page.waitForSelector('#item-live[data-status="active"][data-live="idle"]');
    expect(await page.locator('button[data-sim-action="repair-login"]').isDisabled()).toBe(true);

    // Not through this page: the bank asks for a new login and a scheduled sync meets it.
    simulator.control.loginRequired(gingham.plaidItemId);
    await engine.run({ itemId: gingham.id, product: 'transactions', trigger: 'schedule' });
    await page.waitForSelector('#item-live[data-status="needs_reauth"]', { timeout: 20_000 });
    expect(await page.locator('#item-live .facts .badge-needs_reauth').textContent()).toBe('needs_reauth');
    expect(await page.locator('button[data-sim-action="repair-login"]').isDisabled()).toBe(false);
    await shot(page, 'truth-04-needs-reauth-live');

    const runsBefore = await page.locator('#item-live tr[data-run-status="succeeded"]').count();
    await page.click('button[data-sim-action="repair-login"]');
    await page.waitForSelector('#item-live[data-status="active"][data-live="idle"]', { timeout: 30_000 });
    await expect.poll(() => page.locator('#item-live tr[data-run-status="succeeded"]').count(), { timeout: 30_000 }).toBeGreaterThan(runsBefore);
    expect(await page.locator('#item-live .facts').textContent()).not.toContain('ITEM_LOGIN_REQUIRED');
    expect(await page.locator('#item-live tr[data-run-status="succeeded"] td:nth-child(3)').first().textContent()).toBe('reauth');
    expect(await page.locator('#flash .flash-ok').textContent()).toContain('update mode');
    await shot(page, 'truth-05-repaired');
    await page.close();
  }, 90_000);

  it('refreshes the list after Link demo item, newest first', async () => {
    const page = await openPage();
    const before = await page.locator('tr.item-row').count();
    await page.click('button:has-text("Link demo item")');
    await page.waitForSelector('#flash .flash-ok');
    await expect.poll(() => page.locator('tr.item-row').count(), { timeout: 20_000 }).toBe(before + 1);
    expect(page.url()).toContain('sort=created');
    expect(await page.locator('#flash .flash-ok').textContent()).toContain('Linked a demo item');
    await page.close();
  }, 60_000);

  it('shows recent transactions, holdings and liabilities, money in its currency\'s minor units', async () => {
    const page = await openPage();
    const brokerage = await itemIdAt('Plaidypus Brokerage');
    await openItem(page, brokerage.id);
    expect(await page.locator('#item-holdings tbody tr').count()).toBeGreaterThan(0);
    for (const value of await page.locator('#item-holdings tbody td:nth-child(4)').allTextContents()) expect(value).toMatch(/^-?[\d,]+\.\d{2,} USD$/);

    const lender = await itemIdAt('Paisley Home & Student Lending');
    await openItem(page, lender.id);
    expect(await page.locator('#item-liabilities tbody tr').count()).toBeGreaterThan(0);
    await shot(page, 'truth-06-liabilities');

    const platypus = await database.sql<{ id: string }[]>`select id from plaid_items where institution_id = 'ins_109509' limit 1`;
    await openItem(page, platypus[0]!.id);
    const amounts = await page.locator('#item-transactions tbody td[data-amount]').allTextContents();
    expect(amounts.length).toBeGreaterThan(0);
    expect(amounts.length).toBeLessThanOrEqual(25);
    for (const amount of amounts) expect(amount).toMatch(/^-?[\d,]+\.\d{2} USD$/);
    for (const balance of await page.locator('#item-live .data-table').first().locator('td.num').allTextContents()) expect(balance).toMatch(/^(—|-?[\d,]+\.\d{2} USD)$/);
    await page.close();
  }, 60_000);

  it('fits a 420 px wide screen: nothing wider than the page, on the list and on an item', async () => {
    const page = await openPage({ width: 420, height: 860 });
    // Evaluated in the page (a string: this project's types have no DOM).
    const fits = () =>
      page.evaluate<{ main: boolean; document: boolean }>(`(() => {
        const main = document.querySelector('main.page');
        return { main: main.scrollWidth <= main.clientWidth, document: document.documentElement.scrollWidth <= window.innerWidth };
      })()`);
    expect(await fits()).toEqual({ main: true, document: true });
    // The item cards do not overlap: each row's box ends where the next one starts.
    const boxes = [];
    for (const row of await page.locator('tr.item-row').all()) boxes.push((await row.boundingBox())!);
    expect(boxes.length).toBeGreaterThan(1);
    for (let index = 1; index < boxes.length; index++) expect(boxes[index]!.y).toBeGreaterThanOrEqual(boxes[index - 1]!.y + boxes[index - 1]!.height - 1);
    for (const box of boxes) expect(box.x + box.width).toBeLessThanOrEqual(420);
    await shot(page, 'truth-07-phone-list');

    const brokerage = await itemIdAt('Plaidypus Brokerage');
    await openItem(page, brokerage.id);
    expect(await fits()).toEqual({ main: true, document: true });
    await shot(page, 'truth-08-phone-item');

    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    const response = await page.request.get(`${baseUrl}${icon}`);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('image/svg+xml');
    expect(cspViolations).toEqual([]);
    await page.close();
  }, 60_000);
});
