import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type PgBoss from 'pg-boss';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackOrigins } from '../../src/config/public-origins.js';
import { plaidAccounts, plaidItems } from '../../src/db/schema/index.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { startAppNotifier, type AppNotifier } from '../../src/notifications/app-notifier.js';
import { BUILTIN_RECEIVER_PATH, BuiltInReceiver, builtInAppWebhook } from '../../src/notifications/builtin-receiver.js';
import { startJobQueue } from '../../src/queue/job-queue.js';
import { loginAsAdmin } from '../support/admin.js';
import { buildTestApp, captureLogs, testConfig } from '../support/app.js';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
let boss: PgBoss;
let server: ServerType;
let notifier: AppNotifier;
let port: number;
let app: ReturnType<typeof buildTestApp>['app'];
const receiver = new BuiltInReceiver();
const logs = captureLogs();

beforeAll(async () => {
  database = await createTestDatabase();
  const base = testConfig();
  const config = { ...base, plaid: { ...base.plaid, env: 'simulator' as const }, publicOrigins: loopbackOrigins(0) };
  ({ app } = buildTestApp(database, { config, appReceiver: receiver }));
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
  boss = await startJobQueue({ connectionString: databaseUrl(database.name), logger: logs.logger, cronCheckIntervalSeconds: 30 });
  notifier = startAppNotifier({ boss, sql: database.sql, config: builtInAppWebhook(receiver, port), logger: logs.logger, metrics: createMetrics(), dispatchEveryMs: 50, pollIntervalMs: 200 });
});

afterAll(async () => {
  await notifier.stop(1_000);
  await boss.stop({ graceful: false, wait: true });
  await new Promise((resolve) => server.close(resolve));
  await database.drop();
});

async function linkedAccount(userId: string): Promise<string> {
  const [item] = await database.db
    .insert(plaidItems)
    .values({ userId, plaidItemId: `item-${randomUUID()}`, institutionId: `ins_${randomUUID()}`, accessTokenCiphertext: 'x', accessTokenKeyId: 'k', product: 'transactions' })
    .returning();
  await database.db.insert(plaidAccounts).values({ itemId: item!.id, userId, plaidAccountId: `acc-${randomUUID()}`, product: 'transactions', name: 'Checking', type: 'depository' });
  return item!.id;
}

describe('the built-in notification receiver (simulator mode without APP_WEBHOOK_URL)', () => {
  it("receives the service's own notices over HTTP, verifies them and shows them on the admin page", async () => {
    const userId = randomUUID();
    const itemId = await linkedAccount(userId);
    await expect.poll(() => receiver.notices.find((notice) => notice.userId === userId), { timeout: 20_000 }).toBeDefined();
    const notice = receiver.notices.find((n) => n.userId === userId)!;
    expect(notice).toMatchObject({ verified: true, type: 'changes.available', summary: '1 item; accounts or statuses only' });

    await database.db.execute(`update plaid_items set status = 'needs_reauth' where id = '${itemId}'`);
    await expect.poll(() => receiver.notices.find((n) => n.userId === userId && n.type === 'item.status_changed')?.summary, { timeout: 20_000 }).toBe(
      `item ${itemId}: active → needs_reauth (action: fix)`,
    );

    const session = await loginAsAdmin(app);
    const page = await (await app.request('/admin/notifications', { headers: session.headers() })).text();
    expect(page).toContain('Built-in receiver');
    expect(page).toContain('item.status_changed');
    expect(page).toContain('verified');
  });

  it('answers 400 to a notice signed with another secret and keeps no part of its body', async () => {
    const body = JSON.stringify({ type: 'changes.available', timestamp: new Date().toISOString(), data: { user_id: 'forged-user', item_ids: [] } });
    const other = new Webhook(new BuiltInReceiver().secret);
    const id = `msg_${randomUUID()}`;
    const now = new Date();
    const res = await fetch(`http://127.0.0.1:${port}${BUILTIN_RECEIVER_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': other.sign(id, now, body) },
      body,
    });
    expect(res.status).toBe(400);
    const kept = receiver.notices.find((n) => n.webhookId === id);
    expect(kept).toMatchObject({ verified: false, type: 'unverified', userId: null });
    expect(JSON.stringify(kept)).not.toContain('forged-user');
  });

  it('refuses a body over the API limit with 413', async () => {
    const res = await fetch(`http://127.0.0.1:${port}${BUILTIN_RECEIVER_PATH}`, { method: 'POST', body: 'x'.repeat(200_000) });
    expect(res.status).toBe(413);
  });
});
