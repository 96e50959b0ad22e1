import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMirror } from '../../examples/mirror/mirror.js';
import { pruneChangeFeed } from '../../src/services/change-feed.js';
import { apiClient, linkThroughApi, type ApiClient } from '../support/api-client.js';
import { buildTestApp, TEST_API_TOKEN } from '../support/app.js';
import { comparable, differences, readEndpointRecords } from '../support/feed-follower.js';
import { applyItemWebhook } from '../support/item-webhooks.js';
import { useSyncFixture } from '../support/sync-fixture.js';

// A live service on loopback (the real app, sync engine and scheduler, Plaid simulated in-process);
// the example consumer talks to it over HTTP only, as an app would.
const fx = useSyncFixture();
const root = path.resolve(import.meta.dirname, '../..');
let app: ReturnType<typeof buildTestApp>['app'];
let server: ServerType;
let url: string;
let dir: string;

beforeAll(async () => {
  app = buildTestApp(fx.database, { syncs: fx.syncs, vault: fx.harness.vault }).app;
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(path.join(tmpdir(), 'mirror-'));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

interface Linked {
  itemId: string;
  plaidItemId: string;
  account: (product: string) => string;
}

type Product = 'transactions' | 'investments' | 'liabilities';

async function link(api: ApiClient, institutionId: string, product: Product): Promise<Linked> {
  const res = await linkThroughApi(api, fx.sim.control, { institutionId, products: [product], product });
  expect(res.status).toBe(201);
  const accounts = res.body.item.accounts as { id: string; product: string }[];
  return { itemId: res.body.item.id, plaidItemId: res.plaidItemId, account: (p) => accounts.find((a) => a.product === p)!.id };
}

/** An app-triggered sync of one product, waited for, as the bank's changes reach the service. */
async function sync(api: ApiClient, product: Product, accountId: string) {
  const res = await api.post(`/products/${product}/transactions/sync`, { account_id: accountId });
  expect(res.status).toBe(200);
  return res.body as { updated: boolean; errors: string[] };
}

async function linkAll(api: ApiClient) {
  const bank = await link(api, 'ins_109508', 'transactions');
  const brokerage = await link(api, 'ins_sim_brokerage', 'investments');
  const card = await link(api, 'ins_sim_card', 'liabilities');
  // The initial syncs the links queued, finished before the snapshot or not: the feed covers both.
  await fx.harness.engine.idle();
  return { bank, brokerage, card };
}

/**
 * What the feed keeps current of an item: its status and the fields the app shows (item.updated).
 * `sync.*` is live run state (read on demand) and `updated_at` moves with every write.
 */
function itemState(item: Record<string, unknown>): string {
  const { id, status, error_code, new_accounts_available, consent_expires_at, pending_disconnect_at, consent_expiring } = item;
  return JSON.stringify({ id, status, error_code, new_accounts_available, consent_expires_at, pending_disconnect_at, consent_expiring });
}

/** The service's data through the read endpoints, and its items as `itemState` sees them. */
async function truthOf(api: ApiClient) {
  const records = comparable(await readEndpointRecords(app, fx.database.db, api.userId, TEST_API_TOKEN));
  const items = ((await api.get('/items')).body.items as Record<string, unknown>[]).map(itemState).sort();
  return { records, items };
}

function statesOf(records: Map<string, Record<string, unknown>>) {
  return [...records].filter(([key]) => key.startsWith('item:')).map(([, item]) => itemState(item)).sort();
}

describe('the example consumer (examples/mirror)', () => {
  it('mirrors a user through snapshot and feed while the bank changes: its copy equals the read endpoints', async () => {
    const api = apiClient(app);
    const { bank, brokerage, card } = await linkAll(api);
    const out = path.join(dir, 'mirror.json');
    const consumer: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', 'examples/mirror/mirror.ts', '--url', url, '--token', TEST_API_TOKEN, '--user', api.userId, '--out', out, '--interval', '50'],
      { cwd: root, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    consumer.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    consumer.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => consumer.on('exit', resolve));
    try {
      // Wait for the consumer's first snapshot, so the changes below reach it through the feed.
      await until(async () => (await readCopy(out)) !== null, () => output);

      const { control } = fx.sim;
      control.advance(bank.plaidItemId, { added: 6, modified: 3, removed: 2, posted: 2 });
      expect((await sync(api, 'transactions', bank.account('transactions'))).updated).toBe(true);
      control.updateHoldings(brokerage.plaidItemId, { added: 2, updated: 3 });
      control.addInvestmentTransactions(brokerage.plaidItemId, 3);
      expect((await sync(api, 'investments', brokerage.account('investments'))).updated).toBe(true);
      control.updateLiabilities(card.plaidItemId);
      expect((await sync(api, 'liabilities', card.account('liabilities'))).updated).toBe(true);
      // Plaid's warnings (item.updated): new accounts at the bank, the brokerage's consent ending.
      await applyItemWebhook(fx.database, { id: bank.itemId, plaidItemId: bank.plaidItemId }, { webhook_code: 'NEW_ACCOUNTS_AVAILABLE', error: null });
      const consentEnds = new Date(Date.now() + 3 * 86_400_000).toISOString();
      await applyItemWebhook(fx.database, { id: brokerage.itemId, plaidItemId: brokerage.plaidItemId }, { webhook_code: 'PENDING_EXPIRATION', consent_expiration_time: consentEnds });
      // The login breaks: the failed sync moves the item to needs_reauth (item.status_changed)...
      control.loginRequired(bank.plaidItemId);
      expect((await sync(api, 'transactions', bank.account('transactions'))).errors[0]).toMatch(/^ITEM_LOGIN_REQUIRED/);
      expect((await api.get(`/items/${bank.itemId}`)).body.status).toBe('needs_reauth');
      // ...and Fix Connection repairs it; the bank moved on meanwhile.
      control.repairLogin(bank.plaidItemId);
      expect((await api.post(`/items/${bank.itemId}/reauth-complete`)).status).toBe(200);
      await fx.harness.engine.idle();
      control.advance(bank.plaidItemId, { added: 3, modified: 2, removed: 1, posted: 1 });
      await sync(api, 'transactions', bank.account('transactions'));
      control.updateHoldings(brokerage.plaidItemId, { updated: 2 });
      await sync(api, 'investments', brokerage.account('investments'));

      const truth = await truthOf(api);
      // Update mode answered the bank's new accounts; the brokerage's consent still ends in 3 days.
      expect((await api.get('/items')).body.items).toEqual(expect.arrayContaining([
        expect.objectContaining({ id: bank.itemId, status: 'active', new_accounts_available: false }),
        expect.objectContaining({ id: brokerage.itemId, status: 'active', consent_expiring: true }),
        expect.objectContaining({ id: card.itemId, status: 'active' }),
      ]));
      // The consumer polls on its own; the feed shows a change once every older transaction on the
      // server has ended, so wait until its copy has caught up (or report how it differs).
      let last: ReturnType<typeof differences> | undefined;
      await until(async () => {
        const copy = await readCopy(out);
        if (!copy) return false;
        last = differences(comparable(copy.records), truth.records);
        return last.missing + last.extra + last.different === 0 && JSON.stringify(statesOf(copy.records)) === JSON.stringify(truth.items);
      }, () => `${JSON.stringify(last, null, 1)}\n${output}`);
      expect(truth.records.size).toBeGreaterThan(40);
      expect([...truth.records.keys()].some((k) => k.startsWith('holding:'))).toBe(true);
      expect([...truth.records.keys()].some((k) => k.startsWith('liability:'))).toBe(true);
      expect([...truth.records.keys()].some((k) => k.startsWith('investment_transaction:'))).toBe(true);
    } finally {
      consumer.kill('SIGTERM');
      await exited;
    }
  }, 120_000);

  it('rebuilds from a snapshot when its cursor is older than the feed keeps (410), and ends equal', async () => {
    const api = apiClient(app);
    const { bank, brokerage } = await linkAll(api);
    const mirror = createMirror({ url, token: TEST_API_TOKEN, userId: api.userId, limit: 5 });
    await mirror.catchUp();
    expect(mirror.rebuilds).toBe(0);

    fx.sim.control.advance(bank.plaidItemId, { added: 4, modified: 2, removed: 2, posted: 1 });
    await sync(api, 'transactions', bank.account('transactions'));
    fx.sim.control.updateHoldings(brokerage.plaidItemId, { added: 1, updated: 1 });
    await sync(api, 'investments', brokerage.account('investments'));
    // Retention of 0 days: every change so far is pruned, so the consumer's cursor is now too old.
    expect(await pruneChangeFeed(fx.database.db, 0)).toBeGreaterThan(0);
    const gone = await api.get(`/changes?cursor=${encodeURIComponent(mirror.cursor!)}`);
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('cursor_expired');

    await mirror.catchUp();
    expect(mirror.rebuilds).toBe(1);
    const truth = await truthOf(api);
    const diff = differences(comparable(mirror.records), truth.records);
    expect(diff).toMatchObject({ missing: 0, extra: 0, different: 0 });
    expect(statesOf(mirror.records)).toEqual(truth.items);
  });
});

async function readCopy(file: string): Promise<{ records: Map<string, Record<string, unknown>> } | null> {
  try {
    const body = JSON.parse(await readFile(file, 'utf8')) as { records: Record<string, Record<string, unknown>> };
    return { records: new Map(Object.entries(body.records)) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Polls a condition until it holds; the deadline only bounds a consumer that never catches up. */
async function until(condition: () => Promise<boolean>, explain: () => string, deadlineMs = 45_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > deadlineMs) throw new Error(`the consumer did not catch up:\n${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
