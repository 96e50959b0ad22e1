import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { VerificationKeyCache } from '../../src/webhooks/verification-keys.js';
import { receiveWebhook, type WebhookEnvironment, type WebhookIntakeDeps } from '../../src/webhooks/webhook-intake.js';
import type { WorkQueue } from '../../src/queue/work-queue.js';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.js';
import { WebhookRecorder, type WebhookRecorderOptions } from '../../src/webhooks/webhook-recorder.js';
import { createWebhookVerifier } from '../../src/webhooks/webhook-verifier.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertItem } from '../support/webhook-items.js';
import { recordingWorkQueue } from '../support/webhook-queue.js';
import { createTestSigner, plaidBody } from '../support/webhook-signing.js';

describe('webhook intake', () => {
  let database: TestDatabase;
  let signer: Awaited<ReturnType<typeof createTestSigner>>;
  let plaidItemId: string;
  let itemId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    signer = await createTestSigner();
    plaidItemId = `item-${randomUUID()}`;
    itemId = await insertItem(buildTestApp(database).deps, { plaidItemId });
  });
  afterAll(() => database.drop());
  beforeEach(async () => {
    await database.sql`delete from webhook_events`;
    await database.sql`delete from webhook_dispatch`;
  });

  function intake(overrides: Partial<WebhookRecorderOptions> & { queue?: WorkQueue } = {}, environment: WebhookEnvironment = 'sandbox') {
    const queue = recordingWorkQueue();
    const metrics = createMetrics();
    const recorder = new WebhookRecorder({ sql: database.sql, dedupeWindowSeconds: 300, ...overrides });
    const dispatcher = new WebhookDispatcher({ sql: database.sql, queue: overrides.queue ?? queue, logger: createLogger('silent') }, { retryAfterMs: 60_000 });
    const deps: WebhookIntakeDeps = {
      logger: createLogger('silent'),
      metrics,
      verify: createWebhookVerifier({ keys: new VerificationKeyCache({ fetchKey: signer.fetchKey }) }),
      recorder,
      notify: () => dispatcher.wake(),
      environment,
    };
    // Answered, then the jobs its commit asked for made (the dispatcher runs after the answer).
    const deliver = async (payload: object | string) => {
      const body = typeof payload === 'string' ? payload : plaidBody(payload);
      const result = await receiveWebhook(deps, { rawBody: new TextEncoder().encode(body), verification: await signer.sign(body) });
      await dispatcher.settled();
      return result;
    };
    return { deps, queue, metrics, deliver, dispatcher };
  }

  const rows = () => database.sql<{ webhook_type: string; webhook_code: string; status: string; item_id: string | null }[]>`
    select webhook_type, webhook_code, status, item_id from webhook_events order by received_at`;

  it('records a sync webhook as processed and its sync for its product is enqueued after the commit', async () => {
    const { deliver, queue, metrics } = intake();
    const result = await deliver({ webhook_type: 'LIABILITIES', webhook_code: 'DEFAULT_UPDATE', item_id: plaidItemId, error: null, environment: 'sandbox' });
    expect(result).toMatchObject({ status: 200, outcome: 'processed' });
    expect(queue.syncs).toEqual([{ itemId, product: 'liabilities', trigger: 'webhook' }]);
    expect(await rows()).toEqual([{ webhook_type: 'LIABILITIES', webhook_code: 'DEFAULT_UPDATE', status: 'processed', item_id: itemId }]);
    expect(await metrics.registry.getSingleMetricAsString('plaid_webhooks_total')).toContain(
      'plaid_webhooks_total{webhook_type="LIABILITIES",webhook_code="DEFAULT_UPDATE",outcome="accepted"} 1',
    );
  });

  it("refuses a signed webhook whose environment is not the service's, recording and enqueuing nothing", async () => {
    const sync = { webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: plaidItemId, initial_update_complete: true, historical_update_complete: true };
    const production = intake({}, 'production');
    expect(await production.deliver({ ...sync, environment: 'sandbox' })).toEqual({ status: 401, outcome: 'rejected' });
    const sandbox = intake();
    expect(await sandbox.deliver({ ...sync, environment: 'production' })).toEqual({ status: 401, outcome: 'rejected' });
    expect(await rows()).toEqual([]);
    expect([...production.queue.syncs, ...sandbox.queue.syncs]).toEqual([]);
    expect(await production.metrics.registry.getSingleMetricAsString('plaid_webhook_signature_rejected_total')).toContain(
      'plaid_webhook_signature_rejected_total{reason="environment"} 1',
    );
    // Its own environment, and a body without the field, are taken.
    expect(await production.deliver({ ...sync, environment: 'production' })).toMatchObject({ status: 200, outcome: 'processed' });
    expect(await sandbox.deliver({ ...sync, item_id: plaidItemId, initial_update_complete: false })).toMatchObject({ status: 200, outcome: 'processed' });
  });

  it('records an item webhook as received and enqueues it for the workers', async () => {
    const { deliver, queue } = intake();
    const result = await deliver({ webhook_type: 'ITEM', webhook_code: 'NEW_ACCOUNTS_AVAILABLE', item_id: plaidItemId, error: null });
    expect(result).toMatchObject({ status: 200, outcome: 'received' });
    expect(queue.itemEvents).toEqual([result.status === 200 ? result.eventId : '']);
  });

  it('records codes it does not act on as ignored: legacy transactions codes, acknowledgements, unknown types', async () => {
    const { deliver, queue } = intake();
    await deliver({ webhook_type: 'TRANSACTIONS', webhook_code: 'DEFAULT_UPDATE', item_id: plaidItemId, new_transactions: 3, error: null });
    await deliver({ webhook_type: 'ITEM', webhook_code: 'WEBHOOK_UPDATE_ACKNOWLEDGED', item_id: plaidItemId, new_webhook_url: 'https://x.test', error: null });
    await deliver({ webhook_type: 'ASSETS', webhook_code: 'PRODUCT_READY', asset_report_id: 'a1' });
    expect((await rows()).map((row) => row.status)).toEqual(['ignored', 'ignored', 'ignored']);
    expect(queue.syncs).toHaveLength(0);
    expect(queue.itemEvents).toHaveLength(0);
  });

  it('records a webhook for an unknown item as an orphan and counts it', async () => {
    const { deliver, queue, metrics } = intake();
    const result = await deliver({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: 'nobody', initial_update_complete: true, historical_update_complete: true });
    expect(result).toMatchObject({ status: 200, outcome: 'orphan' });
    expect(queue.syncs).toHaveLength(0);
    expect(await metrics.registry.getSingleMetricAsString('plaid_webhooks_total')).toContain('outcome="orphan"} 1');
  });

  it('ignores webhooks for a disconnected item', async () => {
    const gone = `item-${randomUUID()}`;
    await insertItem(buildTestApp(database).deps, { plaidItemId: gone, status: 'disconnected' });
    const { deliver, queue } = intake();
    const result = await deliver({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: gone });
    expect(result).toMatchObject({ status: 200, outcome: 'ignored' });
    expect(queue.syncs).toHaveLength(0);
  });

  it('answers 400 for a verified body that is not a webhook, and records nothing', async () => {
    const { deliver } = intake();
    expect(await deliver('not json')).toMatchObject({ status: 400 });
    expect(await deliver({ hello: 'world' })).toMatchObject({ status: 400 });
    expect(await deliver({ webhook_type: 'ITEM', webhook_code: 'PENDING_EXPIRATION', item_id: plaidItemId, consent_expiration_time: 'soon' })).toMatchObject({ status: 400 });
    expect(await rows()).toEqual([]);
  });

  it('processes concurrent copies of one delivery once; the rest are recorded as duplicates', async () => {
    const { deps, queue, dispatcher } = intake();
    const body = plaidBody({ webhook_type: 'HOLDINGS', webhook_code: 'DEFAULT_UPDATE', item_id: plaidItemId, new_holdings: 1, updated_holdings: 0, error: null });
    const verification = await signer.sign(body);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => receiveWebhook(deps, { rawBody: new TextEncoder().encode(body), verification })),
    );
    expect(results.filter((r) => r.outcome === 'processed')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(5);
    await dispatcher.settled();
    expect(queue.syncs).toHaveLength(1);
  });

  it('a sync webhook with the same body but a new signature is processed; the same signed delivery is a duplicate', async () => {
    const { deps, deliver, queue, dispatcher } = intake();
    const payload = { webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: plaidItemId, initial_update_complete: true, historical_update_complete: true };
    const body = plaidBody(payload);
    const firstToken = await signer.sign(body);
    const send = (verification: string) => receiveWebhook(deps, { rawBody: new TextEncoder().encode(body), verification }).finally(() => dispatcher.settled());
    expect(await send(firstToken)).toMatchObject({ outcome: 'processed' });
    // Plaid sends this body for every change: a new delivery of it may announce one nothing has
    // fetched yet (the queue absorbs the job while one for the item is still waiting)...
    expect(await deliver(payload)).toMatchObject({ outcome: 'processed' });
    // ...while the same signed delivery again is a redelivery.
    expect(await send(firstToken)).toMatchObject({ outcome: 'duplicate' });
    expect(queue.syncs).toHaveLength(2);
  });

  it('an item webhook with the same body is a duplicate inside the window whatever has run since', async () => {
    const { deliver, queue } = intake();
    const payload = { webhook_type: 'ITEM', webhook_code: 'LOGIN_REPAIRED', item_id: plaidItemId, environment: 'sandbox' };
    expect(await deliver(payload)).toMatchObject({ outcome: 'received' });
    await database.sql`insert into sync_runs (item_id, product, trigger, status, finished_at)
      values (${itemId}, 'transactions', 'webhook', 'succeeded', now())`;
    expect(await deliver(payload)).toMatchObject({ outcome: 'duplicate' });
    expect(queue.itemEvents).toHaveLength(1);
    await database.sql`delete from sync_runs where item_id = ${itemId}`;
  });

  it('processes the same body again once the dedupe window has passed', async () => {
    const { deliver, queue } = intake({ dedupeWindowSeconds: 1 });
    const payload = { webhook_type: 'HOLDINGS', webhook_code: 'DEFAULT_UPDATE', item_id: plaidItemId, error: null };
    await deliver(payload);
    await database.sql`update webhook_events set received_at = received_at - interval '2 seconds'`;
    await deliver(payload);
    expect(queue.syncs).toHaveLength(2);
  });

  it('acknowledges a delivery whose job cannot be made yet: its inbox row stays until a dispatch succeeds', async () => {
    const failing = recordingWorkQueue();
    const payload = { webhook_type: 'LIABILITIES', webhook_code: 'DEFAULT_UPDATE', item_id: plaidItemId, error: null };
    // Failing before its statement exists...
    failing.enqueueSyncs = () => {
      throw new Error('queue unavailable');
    };
    const first = intake({ queue: failing });
    expect(await first.deliver(payload)).toMatchObject({ status: 200, outcome: 'processed' });
    // ...or through its statement, with the COMMIT already sent behind it.
    failing.enqueueSyncs = (tx) => tx.unsafe('insert into no_such_queue.job (id) values (1)').execute();
    const second = intake({ queue: failing });
    expect(await second.deliver({ ...payload, n: 2 })).toMatchObject({ status: 200, outcome: 'processed' });
    expect((await rows()).map((row) => row.status)).toEqual(['processed', 'processed']);
    const pending = await database.sql<{ job: string }[]>`select job from webhook_dispatch order by seq`;
    expect(pending.map((row) => row.job)).toEqual(['liabilities', 'liabilities']);
    // The next dispatch that works makes the job (both requests coalesce into one for the item).
    const working = intake();
    await working.deliver({ webhook_type: 'ITEM', webhook_code: 'LOGIN_REPAIRED', item_id: plaidItemId, environment: 'sandbox' });
    expect(working.queue.syncs).toEqual([{ itemId, product: 'liabilities', trigger: 'webhook' }]);
    expect(working.queue.itemEvents).toHaveLength(1);
    expect(await database.sql`select 1 from webhook_dispatch`).toHaveLength(0);
  });

  it('fetches a new key once for concurrent deliveries and remembers an unknown kid', async () => {
    signer.fetches.length = 0;
    const { deliver } = intake();
    await Promise.all(Array.from({ length: 5 }, (_, i) => deliver({ webhook_type: 'ITEM', webhook_code: 'LOGIN_REPAIRED', item_id: plaidItemId, n: i })));
    expect(signer.fetches).toEqual([signer.kid]);

    const keys = new VerificationKeyCache({ fetchKey: signer.fetchKey });
    await expect(keys.get('forged')).rejects.toMatchObject({ reason: 'unknown_key' });
    await expect(keys.get('forged')).rejects.toMatchObject({ reason: 'unknown_key' });
    expect(signer.fetches.filter((kid) => kid === 'forged')).toHaveLength(1);
  });

  it('refreshes a cached key after the refresh interval and refuses it once Plaid marks it expired', async () => {
    let now = 1_000_000;
    let expiredAt: number | null = null;
    let fetches = 0;
    const keys = new VerificationKeyCache({
      fetchKey: () => {
        fetches++;
        return Promise.resolve({ ...signer.jwk, expired_at: expiredAt });
      },
      refreshMs: 60_000,
      now: () => now,
    });
    await keys.get(signer.kid);
    await keys.get(signer.kid);
    expect(fetches).toBe(1);
    expiredAt = 123;
    now += 61_000;
    await expect(keys.get(signer.kid)).rejects.toMatchObject({ reason: 'expired_key' });
    expect(fetches).toBe(2);
  });
});
