import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { exchangePublicToken } from '../../src/services/exchange-service.js';
import { adoptStrandedOrphanWebhooks, ORPHAN_ADOPTION_WINDOW_SECONDS, PLAID_ITEM_LOCK_CLASS } from '../../src/webhooks/orphan-adoption.js';
import { VerificationKeyCache } from '../../src/webhooks/verification-keys.js';
import { receiveWebhook } from '../../src/webhooks/webhook-intake.js';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.js';
import { WebhookRecorder } from '../../src/webhooks/webhook-recorder.js';
import { createWebhookVerifier } from '../../src/webhooks/webhook-verifier.js';
import { buildTestApp, TEST_API_TOKEN } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { insertItem } from '../support/webhook-items.js';
import { recordingWorkQueue } from '../support/webhook-queue.js';
import { createTestSigner, plaidBody } from '../support/webhook-signing.js';

let database: TestDatabase;
let simulator: TestSimulator;
let signer: Awaited<ReturnType<typeof createTestSigner>>;
beforeAll(async () => {
  database = await createTestDatabase();
  simulator = startTestSimulator();
  signer = await createTestSigner();
});
afterAll(async () => {
  await simulator.close();
  await database.drop();
});

const syncUpdate = (plaidItemId: string) => ({
  webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: plaidItemId,
  initial_update_complete: true, historical_update_complete: false, environment: 'sandbox',
});
const newAccounts = (plaidItemId: string) => ({ webhook_type: 'ITEM', webhook_code: 'NEW_ACCOUNTS_AVAILABLE', item_id: plaidItemId, error: null, environment: 'sandbox' });

/** The service's intake and exchange on one recording queue, and a Link session at the simulator. */
async function setup() {
  const queue = recordingWorkQueue();
  const { app, deps } = buildTestApp(database, { queue });
  const recorder = new WebhookRecorder({ sql: database.sql, dedupeWindowSeconds: 300 });
  const dispatcher = new WebhookDispatcher({ sql: database.sql, queue, logger: createLogger('silent') });
  const intake = {
    logger: createLogger('silent'), metrics: createMetrics(), recorder, notify: () => dispatcher.wake(), environment: 'sandbox' as const,
    verify: createWebhookVerifier({ keys: new VerificationKeyCache({ fetchKey: signer.fetchKey }) }),
  };
  const deliver = async (payload: object) => {
    const body = plaidBody(payload);
    const result = await receiveWebhook(intake, { rawBody: new TextEncoder().encode(body), verification: await signer.sign(body) });
    await dispatcher.settled();
    return result;
  };
  const userId = randomUUID();
  const res = await app.request('/api/plaid/link-token', {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'x-user-id': userId, 'content-type': 'application/json' },
    body: JSON.stringify({ products: ['transactions'] }),
  });
  const { link_token } = (await res.json()) as { link_token: string };
  const link = simulator.control.completeLink({ linkToken: link_token, transactionCount: 3 });
  const events = () => database.sql<{ id: string; webhook_code: string; status: string; item_id: string | null }[]>`
    select id, webhook_code, status, item_id from webhook_events where plaid_item_id = ${link.itemId} order by received_at`;
  return { deps, queue, deliver, userId, link, events };
}

describe('webhooks that arrive before the exchange has stored their item', () => {
  it('are recorded orphan, then processed once the exchange commits: no SYNC_UPDATES_AVAILABLE is lost', async () => {
    const { deps, queue, deliver, userId, link, events } = await setup();
    // Plaid has created the item (the token is exchanged) but the service has not stored it yet:
    // the webhooks Plaid sends right after Link arrive now.
    const accountsGet = deps.plaid.accountsGet.bind(deps.plaid);
    const early: string[] = [];
    deps.plaid.accountsGet = async (...args) => {
      for (const payload of [syncUpdate(link.itemId), newAccounts(link.itemId)]) {
        const result = await deliver(payload);
        expect(result).toMatchObject({ status: 200, outcome: 'orphan' });
        if (result.status === 200) early.push(result.eventId);
      }
      return accountsGet(...args);
    };

    const { item } = await exchangePublicToken(deps, { userId, publicToken: link.publicToken, product: 'transactions' });
    expect(queue.syncs).toContainEqual({ itemId: item.id, product: 'transactions', trigger: 'webhook' });
    expect(queue.itemEvents).toEqual([early[1]]);
    expect(await events()).toEqual([
      { id: early[0], webhook_code: 'SYNC_UPDATES_AVAILABLE', status: 'processed', item_id: item.id },
      { id: early[1], webhook_code: 'NEW_ACCOUNTS_AVAILABLE', status: 'received', item_id: item.id },
    ]);

    // Adopted once: a later exchange-side look finds nothing left, and later deliveries go straight through.
    expect(await deliver({ ...syncUpdate(link.itemId), historical_update_complete: true })).toMatchObject({ status: 200, outcome: 'processed' });
  });

  it('are adopted when their batch commits while the exchange is committing (intake and exchange take the item lock)', async () => {
    const { deps, queue, userId, link, events } = await setup();
    // A delivery batch in flight: it has decided `orphan` (the item is not visible) and holds the
    // item's lock until it commits, like the recorder's transaction.
    const batch = await database.sql.reserve();
    try {
      await batch`begin`;
      await batch`select pg_advisory_xact_lock_shared(${PLAID_ITEM_LOCK_CLASS}::int, hashtext(${link.itemId}))`;
      await batch`insert into webhook_events (webhook_type, webhook_code, plaid_item_id, body, body_sha256, verification_sha256, status, processed_at)
        values ('TRANSACTIONS', 'SYNC_UPDATES_AVAILABLE', ${link.itemId}, ${plaidBody(syncUpdate(link.itemId))}::jsonb, ${randomUUID()}, ${randomUUID()}, 'orphan', now())`;
      const exchanging = exchangePublicToken(deps, { userId, publicToken: link.publicToken, product: 'transactions' });
      // The exchange must wait for the batch before it commits; without the lock it finishes first
      // and looks for orphans before this one is visible.
      const blocked = await Promise.race([exchanging.then(() => false), waitForAdvisoryLockWaiter(link.itemId)]);
      expect(blocked).toBe(true);
      await batch`commit`;
      const { item } = await exchanging;
      expect(queue.syncs).toContainEqual({ itemId: item.id, product: 'transactions', trigger: 'webhook' });
      expect(await events()).toEqual([expect.objectContaining({ status: 'processed', item_id: item.id })]);
    } finally {
      batch.release();
    }
  });

  it('wait when they arrive while the exchange is committing, and are then processed at once', async () => {
    const { deps, queue, deliver, link, events } = await setup();
    // The exchange's transaction: the item inserted, the item lock taken, not yet committed.
    const exchange = await database.sql.reserve();
    try {
      await exchange`begin`;
      const itemId = await insertItem({ sql: exchange, vault: deps.vault }, { plaidItemId: link.itemId });
      await exchange`select pg_advisory_xact_lock(${PLAID_ITEM_LOCK_CLASS}::int, hashtext(${link.itemId}))`;
      const delivering = deliver(syncUpdate(link.itemId));
      // Without the lock on intake's side the delivery would not see the item and answer orphan now.
      const blocked = await Promise.race([delivering.then(() => false), waitForAdvisoryLockWaiter(link.itemId)]);
      expect(blocked).toBe(true);
      await exchange`commit`;
      expect(await delivering).toMatchObject({ status: 200, outcome: 'processed' });
      expect(queue.syncs).toContainEqual({ itemId, product: 'transactions', trigger: 'webhook' });
      expect(await events()).toEqual([expect.objectContaining({ status: 'processed', item_id: itemId })]);
    } finally {
      exchange.release();
    }
  });

  it('are adopted by the periodic recovery when the process that stored their item died before it looked', async () => {
    const { deps, queue, deliver, link, events } = await setup();
    const early: string[] = [];
    for (const payload of [syncUpdate(link.itemId), newAccounts(link.itemId)]) {
      const result = await deliver(payload);
      expect(result).toMatchObject({ status: 200, outcome: 'orphan' });
      if (result.status === 200) early.push(result.eventId);
    }
    // Nothing to adopt while the item is unknown.
    expect(await adoptStrandedOrphanWebhooks({ sql: database.sql, queue })).toBe(0);
    // The exchange committed the item and the process died before its own adoption ran.
    const itemId = await insertItem({ sql: database.sql, vault: deps.vault }, { plaidItemId: link.itemId });

    expect(await adoptStrandedOrphanWebhooks({ sql: database.sql, queue })).toBe(2);
    expect(queue.syncs).toContainEqual({ itemId, product: 'transactions', trigger: 'webhook' });
    expect(queue.itemEvents).toEqual([early[1]]);
    expect(await events()).toEqual([
      { id: early[0], webhook_code: 'SYNC_UPDATES_AVAILABLE', status: 'processed', item_id: itemId },
      { id: early[1], webhook_code: 'NEW_ACCOUNTS_AVAILABLE', status: 'received', item_id: itemId },
    ]);
    // Once: the next recovery finds nothing.
    expect(await adoptStrandedOrphanWebhooks({ sql: database.sql, queue })).toBe(0);
  });

  it('are not adopted by the recovery for a disconnected item', async () => {
    const { deps, queue, deliver, link, events } = await setup();
    expect(await deliver(syncUpdate(link.itemId))).toMatchObject({ status: 200, outcome: 'orphan' });
    const itemId = await insertItem({ sql: database.sql, vault: deps.vault }, { plaidItemId: link.itemId });
    await database.sql`update plaid_items set status = 'disconnected' where id = ${itemId}`;
    expect(await adoptStrandedOrphanWebhooks({ sql: database.sql, queue })).toBe(0);
    expect(queue.syncs).toEqual([]);
    expect(await events()).toEqual([expect.objectContaining({ status: 'orphan', item_id: null })]);
  });

  it(`are left orphan when older than ${ORPHAN_ADOPTION_WINDOW_SECONDS} s: the wait is bounded`, async () => {
    const { deps, queue, deliver, userId, link, events } = await setup();
    const result = await deliver(syncUpdate(link.itemId));
    expect(result).toMatchObject({ status: 200, outcome: 'orphan' });
    await database.sql`update webhook_events set received_at = now() - make_interval(secs => ${ORPHAN_ADOPTION_WINDOW_SECONDS + 60}) where plaid_item_id = ${link.itemId}`;
    await exchangePublicToken(deps, { userId, publicToken: link.publicToken, product: 'transactions' });
    expect(queue.syncs.filter((s) => s.trigger === 'webhook')).toEqual([]);
    expect(await events()).toEqual([expect.objectContaining({ status: 'orphan', item_id: null })]);
  });
});

/** Resolves true once some session waits for the item's advisory lock (the exchange, here). */
async function waitForAdvisoryLockWaiter(plaidItemId: string): Promise<boolean> {
  for (;;) {
    const [row] = await database.sql<{ waiting: boolean }[]>`
      select exists (
        select 1 from pg_locks
        where locktype = 'advisory' and not granted and classid = ${PLAID_ITEM_LOCK_CLASS}::oid
          and objid::bigint = (hashtext(${plaidItemId})::bigint & 4294967295)
      ) as waiting`;
    if (row?.waiting) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
