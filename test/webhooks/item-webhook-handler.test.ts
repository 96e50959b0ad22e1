import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createPlaidCaller } from '../../src/providers/plaid/plaid-call.js';
import { markItemActive, markItemNeedsReauth } from '../../src/services/item-status.js';
import { completeReauth } from '../../src/services/reauth-service.js';
import { checkItemStatus } from '../../src/status/status-check.js';
import { handleItemWebhook } from '../../src/webhooks/item-webhook-handler.js';
import { replayWebhookEvent } from '../../src/webhooks/webhook-replay.js';
import { buildTestApp, recordingScheduler } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { recordWebhookEvent } from '../support/item-webhooks.js';
import { insertItem, only } from '../support/webhook-items.js';
import { recordingWorkQueue } from '../support/webhook-queue.js';
import { startWebhookSimulator } from '../support/webhook-simulator.js';

describe('item webhooks applied by the worker', () => {
  let database: TestDatabase;
  let simulator: ReturnType<typeof startWebhookSimulator>;
  // One app for the simulated items: its vault sealed their access tokens, the status check opens them.
  let app: ReturnType<typeof buildTestApp>;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = buildTestApp(database);
    simulator = startWebhookSimulator({ seed: 17 });
  });
  afterAll(async () => {
    await simulator.close();
    await database.drop();
  });

  async function item(status = 'active') {
    const plaidItemId = `item-${randomUUID()}`;
    const id = await insertItem(buildTestApp(database).deps, { plaidItemId, status });
    const { user_id: userId } = only(await database.sql<{ user_id: string }[]>`select user_id from plaid_items where id = ${id}`);
    const accountIds = [`acc-${randomUUID()}`, `acc-${randomUUID()}`];
    for (const plaidAccountId of accountIds) {
      await database.sql`insert into plaid_accounts (item_id, user_id, plaid_account_id, product, name, type)
        values (${id}, ${userId}, ${plaidAccountId}, 'transactions', 'Checking', 'depository')`;
    }
    return { id, plaidItemId, accountIds };
  }

  const recorded = (plaidItemId: string, itemId: string | null, payload: Record<string, unknown>) =>
    recordWebhookEvent(database, { id: itemId, plaidItemId }, payload);

  /** The status check the worker runs (real `/item/get` at the simulator), counted. */
  function apply(eventId: string) {
    const syncs = recordingScheduler();
    const checks: string[] = [];
    const { deps } = app;
    const call = createPlaidCaller({ maxAttempts: 1, baseDelayMs: 0, rateLimitDelayMs: 0, maxDelayMs: 0 });
    const checkStatus = (itemId: string) => {
      checks.push(itemId);
      return checkItemStatus({ ...deps, syncs, call }, { itemId, trigger: 'webhook' });
    };
    const result = handleItemWebhook({ db: database.db, sql: database.sql, logger: createLogger('silent'), checkStatus }, eventId);
    return { result, syncs, checks };
  }

  /** An item that exists at the simulator too, so `/item/get` can answer for it. */
  async function simulated() {
    const created = simulator.control.createItem();
    const userId = randomUUID();
    const id = await insertItem(app.deps, { plaidItemId: created.itemId, accessToken: created.accessToken, userId });
    return { id, plaidItemId: created.itemId, userId };
  }
  const loginError = { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED', error_message: 'the login details have changed' };

  const state = async (itemId: string) => {
    const [row] = await database.sql`
      select status, error_code, new_accounts_available, consent_expires_at is not null as consent, pending_disconnect_at is not null as pending
      from plaid_items where id = ${itemId}`;
    const accounts = await database.sql<{ status: string }[]>`select status from plaid_accounts where item_id = ${itemId} order by plaid_account_id`;
    return { ...row, accounts: accounts.map((a) => a.status) };
  };

  it('ITEM ERROR ITEM_LOGIN_REQUIRED → needs_reauth; LOGIN_REPAIRED, confirmed by /item/get → active and a sync per product', async () => {
    const { id, plaidItemId } = await simulated();
    simulator.control.loginRequired(plaidItemId);
    expect(await apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'ERROR', error: loginError })).result).toEqual({ status: 'processed' });
    expect(await state(id)).toMatchObject({ status: 'needs_reauth', error_code: 'ITEM_LOGIN_REQUIRED' });

    simulator.control.repairLogin(plaidItemId);
    const repaired = apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'LOGIN_REPAIRED' }));
    expect(await repaired.result).toEqual({ status: 'processed' });
    expect(repaired.checks).toEqual([id]);
    expect(await state(id)).toMatchObject({ status: 'active', error_code: null });
    expect(repaired.syncs.requests).toEqual([{ itemId: id, product: 'transactions', trigger: 'webhook' }]);
  });

  it('a LOGIN_REPAIRED that Plaid does not confirm (a retry older than a later login error, or update mode still needed for another reason) leaves the item as Plaid reports it', async () => {
    const { id, plaidItemId } = await simulated();
    // Broken again after the repair the late delivery announces.
    simulator.control.loginRequired(plaidItemId);
    await markItemNeedsReauth(database.db, id, { code: 'ITEM_LOGIN_REQUIRED' });
    const stale = apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'LOGIN_REPAIRED' }));
    expect(await stale.result).toEqual({ status: 'processed' });
    expect(stale.checks).toEqual([id]);
    expect(await state(id)).toMatchObject({ status: 'needs_reauth', error_code: 'ITEM_LOGIN_REQUIRED' });
    expect(stale.syncs.requests).toEqual([]);

    // The login works, but the item has no eligible account left: still update mode, now for that.
    simulator.control.repairLogin(plaidItemId);
    simulator.control.itemError(plaidItemId, 'NO_ACCOUNTS');
    await apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'LOGIN_REPAIRED', n: 2 })).result;
    expect(await state(id)).toMatchObject({ status: 'needs_reauth', error_code: 'NO_ACCOUNTS' });
  });

  it.each(['ACCESS_NOT_GRANTED', 'NO_ACCOUNTS'])('ITEM ERROR %s (fixed by the user in update mode) → needs_reauth, action fix', async (code) => {
    const { id, plaidItemId } = await item();
    const error = { error_type: 'ITEM_ERROR', error_code: code, error_message: 'the user must act in Link' };
    expect(await apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'ERROR', error })).result).toEqual({ status: 'processed' });
    expect(await state(id)).toMatchObject({ status: 'needs_reauth', error_code: code });
  });

  /** A login broken at Plaid and marked by a failed sync, then repaired elsewhere (LOGIN_REPAIRED). */
  async function brokenThenRepaired(id: string, plaidItemId: string) {
    simulator.control.loginRequired(plaidItemId);
    await markItemNeedsReauth(database.db, id, { code: 'ITEM_LOGIN_REQUIRED' });
    simulator.control.repairLogin(plaidItemId);
    await apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'LOGIN_REPAIRED' })).result;
    expect(await state(id)).toMatchObject({ status: 'active', error_code: null });
  }

  it('a login error that may predate the repair (Plaid retries for 24 h, in any order) is checked with /item/get and does not undo it', async () => {
    const { id, plaidItemId } = await simulated();
    // Received when the login broke; the worker got to it only after the repair.
    const late = await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'ERROR', error: loginError });
    await brokenThenRepaired(id, plaidItemId);
    const applied = apply(late);
    expect(await applied.result).toEqual({ status: 'processed' });
    expect(applied.checks).toEqual([id]);
    expect(await state(id)).toMatchObject({ status: 'active', error_code: null });

    // A delivery that arrives after the repair may be a retry of one sent before it: checked as well.
    const retried = apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'ERROR', error: loginError }));
    await retried.result;
    expect(retried.checks).toEqual([id]);
    expect(await state(id)).toMatchObject({ status: 'active', error_code: null });
  });

  it('a login error after a repair still moves the item when Plaid confirms it; one past the retry window moves it without asking', async () => {
    const { id, plaidItemId } = await simulated();
    await brokenThenRepaired(id, plaidItemId);
    simulator.control.loginRequired(plaidItemId);
    const confirmed = apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'ERROR', error: loginError }));
    await confirmed.result;
    expect(confirmed.checks).toEqual([id]);
    expect(await state(id)).toMatchObject({ status: 'needs_reauth', error_code: 'ITEM_LOGIN_REQUIRED' });

    // Repaired more than 24 hours before the delivery: no retry can be that old, the webhook decides.
    simulator.control.repairLogin(plaidItemId);
    await apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'LOGIN_REPAIRED' })).result;
    await database.sql`update plaid_items set login_confirmed_at = now() - interval '25 hours' where id = ${id}`;
    const direct = apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'ERROR', error: loginError }));
    await direct.result;
    expect(direct.checks).toEqual([]);
    expect(await state(id)).toMatchObject({ status: 'needs_reauth', error_code: 'ITEM_LOGIN_REQUIRED' });
  });

  it('routine confirmations of a healthy item (the hourly check, clean syncs) are no repair: its login error moves it at once', async () => {
    const { id, plaidItemId } = await simulated();
    await markItemActive(database.db, id);
    simulator.control.loginRequired(plaidItemId);
    const direct = apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'ERROR', error: loginError }));
    await direct.result;
    expect(direct.checks).toEqual([]);
    expect(await state(id)).toMatchObject({ status: 'needs_reauth', error_code: 'ITEM_LOGIN_REQUIRED' });
  });

  it('warnings received before the user finished update mode are not raised again; one received after is', async () => {
    const { id, plaidItemId, userId } = await simulated();
    const soon = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const before = [
      await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'NEW_ACCOUNTS_AVAILABLE', error: null }),
      await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'PENDING_DISCONNECT', reason: 'INSTITUTION_MIGRATION', disconnect_time: soon }),
      await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'PENDING_EXPIRATION', consent_expiration_time: soon }),
    ];
    // The user went through Link in update mode before the worker got to them.
    await completeReauth(app.deps, { userId, itemId: id });
    for (const eventId of before) expect(await apply(eventId).result).toEqual({ status: 'processed' });
    expect(await state(id)).toMatchObject({ new_accounts_available: false, consent: false, pending: false });

    await apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'NEW_ACCOUNTS_AVAILABLE', error: null })).result;
    expect(await state(id)).toMatchObject({ new_accounts_available: true });
  });

  it('ITEM ERROR ITEM_NOT_FOUND → disconnected; another code is recorded and the status kept', async () => {
    const first = await item();
    await apply(await recorded(first.plaidItemId, first.id, { webhook_type: 'ITEM', webhook_code: 'ERROR', error: { error_code: 'INSTITUTION_DOWN' } })).result;
    expect(await state(first.id)).toMatchObject({ status: 'active', error_code: 'INSTITUTION_DOWN' });
    await apply(await recorded(first.plaidItemId, first.id, { webhook_type: 'ITEM', webhook_code: 'ERROR', error: { error_code: 'ITEM_NOT_FOUND' } })).result;
    expect(await state(first.id)).toMatchObject({ status: 'disconnected', accounts: ['inactive', 'inactive'] });
  });

  it('USER_PERMISSION_REVOKED → disconnected with every account inactive', async () => {
    const { id, plaidItemId } = await item();
    await apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'USER_PERMISSION_REVOKED', error: { error_code: 'USER_PERMISSION_REVOKED' } })).result;
    expect(await state(id)).toMatchObject({ status: 'disconnected', error_code: 'USER_PERMISSION_REVOKED', accounts: ['inactive', 'inactive'] });
  });

  it('USER_ACCOUNT_REVOKED → only that account inactive', async () => {
    const { id, plaidItemId, accountIds } = await item();
    await apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'USER_ACCOUNT_REVOKED', account_id: accountIds[0] })).result;
    const rows = await database.sql`select plaid_account_id, status from plaid_accounts where item_id = ${id}`;
    expect(rows).toContainEqual({ plaid_account_id: accountIds[0], status: 'inactive' });
    expect(rows).toContainEqual({ plaid_account_id: accountIds[1], status: 'active' });
  });

  it('PENDING_EXPIRATION, PENDING_DISCONNECT and NEW_ACCOUNTS_AVAILABLE flag the item', async () => {
    const { id, plaidItemId } = await item();
    await apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'PENDING_EXPIRATION', consent_expiration_time: '2030-01-15T13:25:17.766Z' })).result;
    await apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'PENDING_DISCONNECT', reason: 'INSTITUTION_MIGRATION', disconnect_time: '2030-01-15T13:25:17.766Z' })).result;
    await apply(await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'NEW_ACCOUNTS_AVAILABLE', error: null })).result;
    expect(await state(id)).toMatchObject({ status: 'active', consent: true, pending: true, new_accounts_available: true });
  });

  it('is idempotent: applying the same event twice leaves the same state', async () => {
    const { id, plaidItemId } = await item();
    const eventId = await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'USER_PERMISSION_REVOKED' });
    await apply(eventId).result;
    await apply(eventId).result;
    expect(await state(id)).toMatchObject({ status: 'disconnected' });
    const [event] = await database.sql`select status from webhook_events where id = ${eventId}`;
    expect(event).toEqual({ status: 'processed' });
  });

  describe('replay', () => {
    it('re-dispatches an orphan once its item exists, and an item webhook through its queue', async () => {
      const plaidItemId = `item-${randomUUID()}`;
      const orphan = await recorded(plaidItemId, null, { webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE' });
      await database.sql`update webhook_events set status = 'orphan' where id = ${orphan}`;
      const queue = recordingWorkQueue();
      expect(await replayWebhookEvent({ sql: database.sql, queue }, { eventId: orphan })).toEqual({ eventId: orphan, action: 'sync', queued: false });

      const id = await insertItem(buildTestApp(database).deps, { plaidItemId });
      expect(await replayWebhookEvent({ sql: database.sql, queue }, { eventId: orphan })).toEqual({ eventId: orphan, action: 'sync', queued: true });
      expect(queue.syncs).toEqual([{ itemId: id, product: 'transactions', trigger: 'webhook' }]);
      const [event] = await database.sql`select status, item_id from webhook_events where id = ${orphan}`;
      expect(event).toEqual({ status: 'processed', item_id: id });

      const lifecycle = await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'NEW_ACCOUNTS_AVAILABLE' });
      expect(await replayWebhookEvent({ sql: database.sql, queue }, { eventId: lifecycle })).toMatchObject({ action: 'item', queued: true });
      expect(queue.itemEvents).toEqual([lifecycle]);
    });

    it('does nothing for a recorded-only webhook and answers 404 for an unknown event', async () => {
      const { id, plaidItemId } = await item();
      const ack = await recorded(plaidItemId, id, { webhook_type: 'ITEM', webhook_code: 'WEBHOOK_UPDATE_ACKNOWLEDGED' });
      const queue = recordingWorkQueue();
      expect(await replayWebhookEvent({ sql: database.sql, queue }, { eventId: ack })).toMatchObject({ action: 'none', queued: false });
      await expect(replayWebhookEvent({ sql: database.sql, queue }, { eventId: randomUUID() })).rejects.toMatchObject({ status: 404 });
    });
  });
});
