import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type PgBoss from 'pg-boss';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppWebhookConfig } from '../../src/config/load-config.js';
import { plaidAccounts, plaidItems, plaidTransactions } from '../../src/db/schema/index.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { startAppNotifier, type AppNotifier } from '../../src/notifications/app-notifier.js';
import { startJobQueue } from '../../src/queue/job-queue.js';
import { loginAsAdmin } from '../support/admin.js';
import { buildTestApp, captureLogs, testConfig } from '../support/app.js';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../support/database.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, unknown> };
}

type Answer = 200 | 500 | 'hang';

/** The app's side: a real HTTP server on loopback that records every notice and answers as told. */
class Receiver extends EventEmitter {
  readonly received: Received[] = [];
  /** Answers per user id, taken in order; once used up the receiver answers 200. */
  readonly plans = new Map<string, Answer[]>();
  readonly hanging: ServerResponse[] = [];
  server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const message: Received = { headers: req.headers, body, json: JSON.parse(body) as Received['json'] };
        const answer = this.plans.get(String(message.json.data.user_id))?.shift() ?? 200;
        this.received.push(message);
        this.emit('message', message);
        if (answer === 'hang') {
          this.hanging.push(res);
          return;
        }
        res.writeHead(answer).end();
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/notifications`;
  }

  forUser(userId: string): Received[] {
    return this.received.filter((message) => message.json.data.user_id === userId);
  }

  /** Resolves once `count` messages for the user arrived (counting those already here). */
  waitFor(userId: string, count: number, timeoutMs = 20_000): Promise<Received[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.forUser(userId).length < count) return;
        cleanup();
        resolve(this.forUser(userId));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${count} notices to ${userId}; got ${this.forUser(userId).length}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('message', check);
      };
      this.on('message', check);
      check();
    });
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const secret = `whsec_${randomBytes(32).toString('base64')}`;
let database: TestDatabase;
let boss: PgBoss;
let receiver: Receiver;
let notifier: AppNotifier | undefined;
let config: AppWebhookConfig;
const metrics = createMetrics();
const logs = captureLogs();

function startNotifier(): AppNotifier {
  notifier = startAppNotifier({ boss, sql: database.sql, config, logger: logs.logger, metrics, dispatchEveryMs: 50, pollIntervalMs: 200 });
  return notifier;
}

beforeAll(async () => {
  database = await createTestDatabase();
  receiver = new Receiver();
  await receiver.start();
  // Short timeout and retry delay so a retry comes within the test; the schedule's shape is pg-boss's.
  config = { url: receiver.url, secret, timeoutMs: 500, retryDelaySeconds: 1, retryLimit: 3, concurrency: 2 };
  boss = await startJobQueue({ connectionString: databaseUrl(database.name), logger: logs.logger, cronCheckIntervalSeconds: 30 });
});
afterAll(async () => {
  await notifier?.stop(1_000);
  await receiver.stop();
  await boss.stop({ graceful: false, wait: true });
  await database.drop();
});

/** An item and an account written as the sync writes them (the feed's triggers see each write). */
async function linkedAccount(userId: string) {
  const [item] = await database.db
    .insert(plaidItems)
    .values({ userId, plaidItemId: `item-${randomUUID()}`, institutionId: `ins_${randomUUID()}`, accessTokenCiphertext: 'x', accessTokenKeyId: 'k', product: 'transactions' })
    .returning();
  const [account] = await database.db
    .insert(plaidAccounts)
    .values({ itemId: item!.id, userId, plaidAccountId: `acc-${randomUUID()}`, product: 'transactions', name: 'Checking', type: 'depository', balanceCurrent: '10.00' })
    .returning();
  return { itemId: item!.id, accountId: account!.id };
}

/** One sync's commit: a transaction row, in its own database transaction. */
async function syncOne(itemId: string, accountId: string) {
  await database.db.insert(plaidTransactions).values({ plaidTransactionId: `tx-${randomUUID()}`, accountId, itemId, date: '2026-01-02', amount: '12.34', name: 'Coffee' });
}

async function pendingNotices(userId: string) {
  return database.sql<{ id: string; item_ids: string[]; products: string[]; version: number }[]>`
    select id, item_ids::text[] as item_ids, products, version from app_notifications
    where user_id = ${userId} and event = 'changes.available' and status = 'pending'`;
}

async function signalsOf(userId: string): Promise<number> {
  const [row] = await database.sql<{ n: number }[]>`select count(*)::int as n from app_notification_signals where user_id = ${userId}`;
  return row!.n;
}

async function attemptsOf(userId: string, notificationId?: string) {
  return database.sql<{ outcome: string; status_code: number | null; version: number }[]>`
    select a.outcome, a.status_code, a.version from app_notification_attempts a
    join app_notifications n on n.id = a.notification_id
    where n.user_id = ${userId} and (${notificationId ?? null}::uuid is null or n.id = ${notificationId ?? null}::uuid) order by a.id`;
}

function verify(message: Received): unknown {
  return new Webhook(secret).verify(message.body, {
    'webhook-id': String(message.headers['webhook-id']),
    'webhook-timestamp': String(message.headers['webhook-timestamp']),
    'webhook-signature': String(message.headers['webhook-signature']),
  });
}

describe('notifications to the app', () => {
  it('coalesces many syncs of one user into one notice, signalled in the data transaction', async () => {
    const userId = randomUUID();
    const first = await linkedAccount(userId);
    const second = await linkedAccount(userId);
    for (let i = 0; i < 5; i++) {
      await syncOne(first.itemId, first.accountId);
      await syncOne(second.itemId, second.accountId);
    }
    // Two account inserts and ten syncs: a signal each, committed with the data; no notice row yet
    // that a sync would have to lock (and other syncs of the user wait for).
    expect(await signalsOf(userId)).toBe(12);
    expect(await pendingNotices(userId)).toHaveLength(0);

    // A rolled-back sync leaves nothing behind.
    const other = randomUUID();
    await database.sql
      .begin(async (tx) => {
        await tx`insert into plaid_items (user_id, plaid_item_id, institution_id, access_token_ciphertext, access_token_key_id, product)
          values (${other}, ${`item-${randomUUID()}`}, 'ins_x', 'x', 'k', 'transactions')`;
        await tx`insert into plaid_accounts (item_id, user_id, plaid_account_id, product, name, type)
          select id, user_id, ${`acc-${randomUUID()}`}, 'transactions', 'Checking', 'depository' from plaid_items where user_id = ${other}`;
        await tx`update plaid_items set status = 'needs_reauth' where user_id = ${other}`;
        throw new Error('rollback');
      })
      .catch(() => undefined);
    expect(await database.sql`select 1 from app_notifications where user_id = ${other}`).toHaveLength(0);
    expect(await signalsOf(other)).toBe(0);

    startNotifier();
    const [message] = await receiver.waitFor(userId, 1);
    expect(message!.json.type).toBe('changes.available');
    expect((message!.json.data.item_ids as string[]).sort()).toEqual([first.itemId, second.itemId].sort());
    await expect.poll(async () => (await pendingNotices(userId)).length, { timeout: 10_000 }).toBe(0);
    expect(receiver.forUser(userId)).toHaveLength(1);
    expect(await signalsOf(userId)).toBe(0);
  });

  it('a sync of one user never waits for another open sync of the same user', async () => {
    const userId = randomUUID();
    const first = await linkedAccount(userId);
    const second = await linkedAccount(userId);
    // A long first pull of one item, still open after writing its first chunk.
    const open = await database.sql.reserve();
    try {
      await open`begin`;
      await open`insert into plaid_transactions (plaid_transaction_id, account_id, item_id, date, amount, name)
        values (${`tx-${randomUUID()}`}, ${first.accountId}, ${first.itemId}, '2026-01-02', '1.00', 'Long pull')`;
      await open`set local lock_timeout = '2s'`;
      // The other item's sync commits at once, instead of waiting (here: failing on lock_timeout).
      await database.sql.begin(async (tx) => {
        await tx`set local lock_timeout = '2s'`;
        await tx`insert into plaid_transactions (plaid_transaction_id, account_id, item_id, date, amount, name)
          values (${`tx-${randomUUID()}`}, ${second.accountId}, ${second.itemId}, '2026-01-02', '2.00', 'Short sync')`;
      });
      await open`commit`;
    } finally {
      open.release();
    }
    await expect.poll(() => signalsOf(userId).then((n) => n + receiver.forUser(userId).length), { timeout: 10_000 }).toBeGreaterThan(0);
  });

  it('signs each notice per Standard Webhooks, verified by the standardwebhooks package', async () => {
    const userId = randomUUID();
    const { itemId, accountId } = await linkedAccount(userId);
    await syncOne(itemId, accountId);
    // The account's notice may go out before the transaction's signal is folded: the one to check is
    // the notice that names the product.
    const message = await expect
      .poll(() => receiver.forUser(userId).find((m) => (m.json.data.products as string[] | undefined)?.includes('transactions')), { timeout: 20_000 })
      .toBeDefined()
      .then(() => receiver.forUser(userId).find((m) => (m.json.data.products as string[]).includes('transactions')));
    expect(message!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}_\d+$/);
    expect(verify(message!)).toMatchObject({ type: 'changes.available', data: { user_id: userId, item_ids: [itemId], products: ['transactions'] } });
    expect(message!.json.data.position).toEqual(expect.any(String));
    // A tampered body or another secret does not verify.
    expect(() => verify({ ...message!, body: message!.body.replace(userId, randomUUID()) })).toThrow();
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(message!.body, message!.headers as Record<string, string>)).toThrow();
    // Delivered once; on a loaded machine an answer may first miss the test's short timeout, retried as the same message.
    const noticeId = /^msg_([0-9a-f]{32})_/.exec(String(message!.headers['webhook-id']))![1]!;
    const attemptsOfNotice = async () => (await attemptsOf(userId, noticeId.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'))).at(-1);
    await expect.poll(attemptsOfNotice, { timeout: 10_000 }).toEqual({ outcome: 'delivered', status_code: 200, version: expect.any(Number) });
    expect(await metrics.registry.getSingleMetricAsString('app_webhook_deliveries_total')).toMatch(/event="changes.available",outcome="delivered"/);
  });

  it('retries after a 500 and after a timeout, as the same message', async () => {
    const userId = randomUUID();
    receiver.plans.set(userId, [500, 'hang']);
    await linkedAccount(userId);
    const messages = await receiver.waitFor(userId, 3, 30_000);
    expect(new Set(messages.map((message) => message.headers['webhook-id'])).size).toBe(1);
    for (const message of messages) verify(message);
    await expect.poll(() => attemptsOf(userId), { timeout: 10_000 }).toMatchObject([
      { outcome: 'http_error', status_code: 500 },
      { outcome: 'timeout', status_code: null },
      { outcome: 'delivered', status_code: 200 },
    ]);
    const [notice] = await database.sql`select status, attempts from app_notifications where user_id = ${userId}`;
    expect(notice).toEqual({ status: 'delivered', attempts: 3 });
  });

  it("tells the app when an item's status changes, with the action to offer", async () => {
    const userId = randomUUID();
    const { itemId } = await linkedAccount(userId);
    await database.sql`update plaid_items set status = 'needs_reauth' where id = ${itemId}`;
    await database.sql`update plaid_items set status = 'disconnected' where id = ${itemId}`;
    // Status notices are written with the status change; the account and status changes also reach
    // the feed, so changes.available notices come too, in any order with them.
    const statusNotices = () => receiver.forUser(userId).filter((message) => message.json.type === 'item.status_changed');
    await expect.poll(() => statusNotices().length, { timeout: 20_000 }).toBe(2);
    const status = statusNotices();
    expect(status.map((message) => verify(message))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ data: { item_id: itemId, user_id: userId, old_status: 'active', new_status: 'needs_reauth', action: 'fix' } }),
        expect.objectContaining({ data: { item_id: itemId, user_id: userId, old_status: 'needs_reauth', new_status: 'disconnected', action: 'relink' } }),
      ]),
    );
  });

  it('lists deliveries on the admin page and redelivers one from there, as the same message', async () => {
    const userId = randomUUID();
    await linkedAccount(userId);
    const [first] = await receiver.waitFor(userId, 1);
    const [notice] = await database.sql<{ id: string }[]>`select id from app_notifications where user_id = ${userId}`;
    await expect.poll(async () => (await database.sql<{ status: string }[]>`select status from app_notifications where id = ${notice!.id}`)[0]?.status, { timeout: 10_000 }).toBe('delivered');

    const { app } = buildTestApp(database, { config: testConfig({ appWebhook: config }) });
    const session = await loginAsAdmin(app);
    const page = await (await app.request('/admin/notifications', { headers: { cookie: session.cookie } })).text();
    expect(page).toContain(`id="notification-${notice!.id}"`);
    expect(page).toContain('changes.available');
    // No token, no session, no such notice: nothing is sent.
    const path = `/admin/notifications/${notice!.id}/redeliver`;
    expect((await app.request(path, { method: 'POST', headers: { cookie: session.cookie, origin: 'http://localhost' } })).status).toBe(403);
    expect((await app.request(path, { method: 'POST' })).status).not.toBe(200);
    expect((await app.request(`/admin/notifications/${randomUUID()}/redeliver`, { method: 'POST', headers: session.headers() })).status).toBe(404);
    expect(receiver.forUser(userId)).toHaveLength(1);

    const res = await app.request(path, { method: 'POST', headers: session.headers() });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Redelivery queued.');
    const messages = await receiver.waitFor(userId, 2);
    expect(messages[1]!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    verify(messages[1]!);
  });

  it('shows Redeliver disabled and answers 501 without APP_WEBHOOK_URL', async () => {
    const { app } = buildTestApp(database, { config: testConfig() });
    const session = await loginAsAdmin(app);
    const page = await (await app.request('/admin/notifications', { headers: { cookie: session.cookie } })).text();
    expect(page).toContain('APP_WEBHOOK_URL is not set');
    const [notice] = await database.sql<{ id: string }[]>`select id from app_notifications limit 1`;
    expect((await app.request(`/admin/notifications/${notice!.id}/redeliver`, { method: 'POST', headers: session.headers() })).status).toBe(501);
  });

  it('a dead receiver does not slow the data writes of syncs', async () => {
    // Every delivery slot hangs on the app; syncs of other users keep committing at once.
    const stuck = [randomUUID(), randomUUID(), randomUUID()];
    for (const userId of stuck) receiver.plans.set(userId, ['hang', 'hang', 'hang', 'hang']);
    for (const userId of stuck) await linkedAccount(userId);
    await receiver.waitFor(stuck[0]!, 1);
    await receiver.waitFor(stuck[1]!, 1);
    const userId = randomUUID();
    const { itemId, accountId } = await linkedAccount(userId);
    const started = performance.now();
    for (let i = 0; i < 20; i++) await syncOne(itemId, accountId);
    const elapsed = performance.now() - started;
    // Twenty commits on loopback: far under one delivery timeout each, however the app behaves.
    expect(elapsed).toBeLessThan(20 * config.timeoutMs);
    // Its notices are not lost behind the hanging deliveries: each is delivered once a slot frees
    // (whether one came free during the syncs depends on the machine's pace, so either order).
    const statuses = async () =>
      (await database.sql<{ status: string }[]>`select status from app_notifications where user_id = ${userId} and event = 'changes.available'`).map((row) => row.status);
    await expect.poll(statuses, { timeout: 20_000 }).toSatisfy((all: string[]) => all.length > 0 && all.every((status) => status === 'delivered'));
    const [message] = await receiver.waitFor(userId, 1);
    expect(verify(message!)).toMatchObject({ type: 'changes.available' });
  });
});
