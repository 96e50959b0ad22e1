import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { VerificationKeyCache } from '../../src/webhooks/verification-keys.js';
import { receiveWebhook, type WebhookIntakeDeps } from '../../src/webhooks/webhook-intake.js';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.js';
import { WebhookRecorder } from '../../src/webhooks/webhook-recorder.js';
import { createWebhookVerifier } from '../../src/webhooks/webhook-verifier.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertItem } from '../support/webhook-items.js';
import { recordingWorkQueue } from '../support/webhook-queue.js';
import { createTestSigner, plaidBody } from '../support/webhook-signing.js';

/**
 * One captured delivery, replayed under other spellings inside its 5 minutes: each used to be a
 * "new" delivery that queued another sync. And signed bodies PostgreSQL cannot store as jsonb.
 */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same 64 bytes, spelled with other values in the last character's 4 unused bits. */
function respelled(token: string): string[] {
  const [head, payload, signature] = token.split('.') as [string, string, string];
  const last = ALPHABET.indexOf(signature.at(-1)!);
  return [1, 2, 4, 8, 15].map((bits) => `${head}.${payload}.${signature.slice(0, -1)}${ALPHABET[last ^ bits]}`);
}

/** The other valid ECDSA signature of the same signing: (r, n − s). */
function twin(token: string): string {
  const [head, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
  const flipped = Buffer.concat([bytes.subarray(0, 32), Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex')]);
  return `${head}.${payload}.${flipped.toString('base64url')}`;
}

let database: TestDatabase;
let signer: Awaited<ReturnType<typeof createTestSigner>>;
let plaidItemId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  signer = await createTestSigner();
  plaidItemId = `item-${randomUUID()}`;
  await insertItem(buildTestApp(database).deps, { plaidItemId });
});
afterAll(() => database.drop());
beforeEach(async () => {
  await database.sql`delete from webhook_events`;
  await database.sql`delete from webhook_dispatch`;
});

function intake() {
  const queue = recordingWorkQueue();
  const dispatcher = new WebhookDispatcher({ sql: database.sql, queue, logger: createLogger('silent') });
  const deps: WebhookIntakeDeps = {
    logger: createLogger('silent'),
    metrics: createMetrics(),
    verify: createWebhookVerifier({ keys: new VerificationKeyCache({ fetchKey: signer.fetchKey }) }),
    recorder: new WebhookRecorder({ sql: database.sql, dedupeWindowSeconds: 300 }),
    notify: () => dispatcher.wake(),
    environment: 'sandbox',
  };
  const send = (body: string, verification: string) =>
    receiveWebhook(deps, { rawBody: new TextEncoder().encode(body), verification }).finally(() => dispatcher.settled());
  return { queue, send };
}

const eventCount = async () => (await database.sql<{ n: number }[]>`select count(*)::int as n from webhook_events`)[0]!.n;
const syncBody = () => plaidBody({ webhook_type: 'TRANSACTIONS', webhook_code: 'SYNC_UPDATES_AVAILABLE', item_id: plaidItemId, initial_update_complete: true, historical_update_complete: true });

describe('a captured delivery replayed under another spelling', () => {
  it('is refused when its signature is re-encoded (non-canonical base64url), and queues nothing', async () => {
    const { queue, send } = intake();
    const body = syncBody();
    const token = await signer.sign(body);
    expect(await send(body, token)).toMatchObject({ status: 200, outcome: 'processed' });
    for (const copy of [...respelled(token), `${token}==`, `${token}=`]) {
      expect(copy).not.toBe(token);
      expect(await send(body, copy)).toMatchObject({ status: 401, outcome: 'rejected' });
    }
    expect(queue.syncs).toHaveLength(1);
    expect(await eventCount()).toBe(1);
  });

  it('is a duplicate when it carries the high-S twin of its signature, and queues no second sync', async () => {
    const { queue, send } = intake();
    const body = syncBody();
    const token = await signer.sign(body);
    const copy = twin(token);
    expect(copy).not.toBe(token);
    expect(await send(body, token)).toMatchObject({ status: 200, outcome: 'processed' });
    expect(await send(body, copy)).toMatchObject({ status: 200, outcome: 'duplicate' });
    expect(queue.syncs).toHaveLength(1);
  });

  it('is a duplicate whichever of the twins came first', async () => {
    const { queue, send } = intake();
    const body = syncBody();
    const token = await signer.sign(body);
    expect(await send(body, twin(token))).toMatchObject({ status: 200, outcome: 'processed' });
    expect(await send(body, token)).toMatchObject({ status: 200, outcome: 'duplicate' });
    expect(queue.syncs).toHaveLength(1);
  });

  it('still lets a second genuine delivery of the same body in the same second through', async () => {
    const { queue, send } = intake();
    const body = syncBody();
    const [first, second] = [await signer.sign(body), await signer.sign(body)];
    expect(await send(body, first)).toMatchObject({ outcome: 'processed' });
    expect(await send(body, second)).toMatchObject({ outcome: 'processed' });
    expect(queue.syncs).toHaveLength(2);
  });
});

describe('a correctly signed body PostgreSQL cannot store as jsonb', () => {
  const item = (extra: string) => `{"webhook_type":"ITEM","webhook_code":"LOGIN_REPAIRED","item_id":"${plaidItemId}","environment":"sandbox"${extra}}`;
  const cases: [string, string][] = [
    ['a \\u0000 escape in a value', item(',"note":"poison\\u0000name"')],
    ['a \\u0000 escape in a key', item(',"k\\u0000":1')],
    ['an unpaired high surrogate', item(',"note":"\\ud800"')],
    ['an unpaired low surrogate', item(',"note":"x\\udc00y"')],
    ['20,000 levels of nesting', item(`,"deep":${'['.repeat(20_000)}${']'.repeat(20_000)}`)],
    ['a \\u0000 escape in the webhook code', `{"webhook_type":"ITEM","webhook_code":"X\\u0000","item_id":"${plaidItemId}"}`],
  ];

  for (const [name, body] of cases) {
    it(`answers 400 and records nothing: ${name}`, async () => {
      const { queue, send } = intake();
      expect(await send(body, await signer.sign(body))).toMatchObject({ status: 400, outcome: 'invalid' });
      expect(await eventCount()).toBe(0);
      expect(queue.syncs).toHaveLength(0);
      expect(queue.itemEvents).toHaveLength(0);
    });
  }

  it('still records a body with well-formed non-ASCII text and surrogate pairs', async () => {
    const { send } = intake();
    const body = item(',"note":"Café \\ud83d\\ude00 ☕"');
    expect(await send(body, await signer.sign(body))).toMatchObject({ status: 200 });
    expect(await eventCount()).toBe(1);
  });
});
