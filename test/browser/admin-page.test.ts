import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackOrigins } from '../../src/config/public-origins.js';
import { linkDemoItem } from '../../src/simulator-demo/link-demo-item.js';
import { createSyncEngine, type SyncEngine } from '../../src/sync/sync-engine.js';
import { createInProcessScheduler, type RunningScheduler } from '../../src/sync/in-process-scheduler.js';
import { buildTestApp, TEST_ADMIN_PASSWORD, testConfig } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';

const SCREENSHOTS = 'artifacts/screenshots';

let database: TestDatabase;
let simulator: TestSimulator;
let engine: SyncEngine;
let scheduler: RunningScheduler;
let server: ServerType;
let browser: Browser;
let baseUrl: string;
const cspViolations: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  simulator = startTestSimulator({ defaultTransactionCount: 40 });
  // No webhook URL: every state change the page shows comes from the syncs the page asks for. The
  // page is opened at 127.0.0.1 on a port chosen at listen time, as simulator mode allows by default.
  const config = testConfig({ webhookUrl: undefined, publicOrigins: loopbackOrigins(0) });
  const probe = buildTestApp(database, { config });
  engine = createSyncEngine({ db: database.db, sql: database.sql, plaid: probe.deps.plaid, vault: probe.deps.vault, logger: probe.deps.logger, metrics: probe.deps.metrics });
  scheduler = createInProcessScheduler({ engine, logger: probe.deps.logger });
  const { app, deps } = buildTestApp(database, { config, syncs: scheduler, plaid: probe.deps.plaid, vault: probe.deps.vault });
  for (let index = 0; index < 3; index++) await linkDemoItem(deps, { index });
  await engine.idle();

  server = await new Promise<ServerType>((resolve) => {
    const instance = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(instance));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await mkdir(SCREENSHOTS, { recursive: true });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await scheduler?.stop(1000);
  await simulator?.close();
  await database?.drop();
});

async function openPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return page;
}

async function logIn(page: Page): Promise<void> {
  await page.goto(`${baseUrl}/admin`);
  await page.waitForSelector('form.login');
  await page.screenshot({ path: `${SCREENSHOTS}/01-login.png` });
  await page.fill('input[name=password]', TEST_ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(`${baseUrl}/admin/items`), page.click('button[type=submit]')]);
}

describe('admin page in a real browser', () => {
  it('logs in, shows items, re-syncs with live progress, and shows a broken login as needs_reauth', async () => {
    const page = await openPage();
    await logIn(page);

    const rows = page.locator('tr.item-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(3);
    for (const badge of await page.locator('tr.item-row .badge-active').allTextContents()) expect(badge).toBe('active');
    expect(await page.locator('tr.item-row .badge').count()).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: `${SCREENSHOTS}/02-items.png`, fullPage: true });

    // Re-sync a transactions item; the simulator holds its next page so the progress is on screen.
    const row = page.locator('tr.item-row', { has: page.locator('[data-last-sync="transactions"]') }).first();
    const itemId = (await row.getAttribute('data-item-id'))!;
    const rowSelector = `#item-${itemId}`;
    const lastSync = page.locator(`${rowSelector} time[data-last-sync="transactions"]`);
    const before = (await lastSync.getAttribute('datetime'))!;
    simulator.control.addFault({ endpoint: '/transactions/sync', kind: 'latency', count: 1, delayMs: 1500 });
    await page.click(`${rowSelector} button:has-text("Re-sync")`);
    await page.waitForSelector(`${rowSelector}[data-live="polling"] .progress`);
    await page.waitForSelector('#flash .flash-ok');
    await page.screenshot({ path: `${SCREENSHOTS}/03-resync-in-progress.png`, fullPage: true });
    await page.waitForSelector(`${rowSelector}[data-live="idle"] time[data-last-sync="transactions"]`, { timeout: 20_000 });
    const after = (await lastSync.getAttribute('datetime'))!;
    expect(new Date(after).getTime()).toBeGreaterThan(new Date(before).getTime());
    expect(await page.locator(`${rowSelector} .badge-active`).textContent()).toBe('active');

    // Break the item's login from its detail page; the follow-up sync turns the badge needs_reauth.
    await Promise.all([page.waitForURL(`${baseUrl}/admin/items/${itemId}`), page.click(`${rowSelector} a.item-link`)]);
    await page.waitForSelector('#item-live[data-status="active"]');
    await page.click('button[data-sim-action="break-login"]');
    await page.waitForSelector('#item-live[data-status="needs_reauth"][data-live="idle"]', { timeout: 20_000 });
    expect(await page.locator('#item-live .facts .badge-needs_reauth').textContent()).toBe('needs_reauth');
    expect(await page.locator('#item-live .facts').textContent()).toContain('ITEM_LOGIN_REQUIRED');
    expect(await page.locator('#item-live tr[data-run-status="failed"]').count()).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: `${SCREENSHOTS}/04-item-needs-reauth.png`, fullPage: true });

    // Back on the list, filtered to broken logins.
    await page.goto(`${baseUrl}/admin/items?status=needs_reauth`);
    await page.waitForSelector(`${rowSelector} .badge-needs_reauth`);
    expect(await page.locator('tr.item-row').count()).toBe(1);
    await page.screenshot({ path: `${SCREENSHOTS}/05-items-needs-reauth.png`, fullPage: true });

    expect(cspViolations).toEqual([]);
    await page.close();
  }, 90_000);

  it('filters and searches without a page reload, keeping the URL shareable', async () => {
    const page = await openPage();
    await logIn(page);
    await page.locator('tr.item-row').first().waitFor();
    await page.fill('#search-q', 'Platypus');
    await page.waitForURL(/q=Platypus/);
    await page.locator('tr.item-row').nth(1).waitFor({ state: 'detached' });
    expect(page.url()).toContain('q=Platypus');
    expect(await page.locator('tr.item-row .item-link').textContent()).toContain('Platypus');
    expect(cspViolations).toEqual([]);
    await page.close();
  }, 60_000);
});
