import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChanges } from '../../src/services/change-feed.js';
import { markItemActive, markItemNeedsReauth } from '../../src/services/item-status.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { applyItemWebhook } from '../support/item-webhooks.js';
import { insertItem } from '../support/webhook-items.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

/** An item of its own user, and that user's changes from here on. */
async function item() {
  const userId = randomUUID();
  const plaidItemId = `item-${randomUUID()}`;
  const id = await insertItem(buildTestApp(database).deps, { plaidItemId, userId });
  let cursor = (await readChanges(database.db, { userId, limit: 1000 })).next_cursor;
  const changes = async () => {
    const page = await readChanges(database.db, { userId, limit: 1000, cursor });
    cursor = page.next_cursor;
    return page.changes.map((change) => ({ kind: change.kind, record: change.record }));
  };
  return { id, plaidItemId, changes };
}

const webhook = (id: string, plaidItemId: string, payload: Record<string, unknown>) => applyItemWebhook(database, { id, plaidItemId }, payload);

describe('item changes in the feed', () => {
  it('the warnings an app shows make an item.updated with the item as stored now', async () => {
    const { id, plaidItemId, changes } = await item();
    await webhook(id, plaidItemId, { webhook_code: 'NEW_ACCOUNTS_AVAILABLE', error: null });
    expect(await changes()).toEqual([{ kind: 'item.updated', record: expect.objectContaining({ id, new_accounts_available: true }) }]);

    const soon = new Date(Date.now() + 3 * 86_400_000).toISOString();
    await webhook(id, plaidItemId, { webhook_code: 'PENDING_EXPIRATION', consent_expiration_time: soon });
    expect(await changes()).toEqual([
      { kind: 'item.updated', record: expect.objectContaining({ id, consent_expires_at: soon, consent_expiring: true }) },
    ]);

    await webhook(id, plaidItemId, { webhook_code: 'ERROR', error: { error_type: 'ITEM_ERROR', error_code: 'INSTITUTION_DOWN', error_message: 'down' } });
    expect(await changes()).toEqual([{ kind: 'item.updated', record: expect.objectContaining({ status: 'active', error_code: 'INSTITUTION_DOWN' }) }]);
  });

  it('a status change is one item.status_changed; fields that move on their own make no change', async () => {
    const { id, changes } = await item();
    await markItemNeedsReauth(database.db, id, { code: 'ITEM_LOGIN_REQUIRED' });
    expect(await changes()).toEqual([
      { kind: 'item.status_changed', record: expect.objectContaining({ status: 'needs_reauth', error_code: 'ITEM_LOGIN_REQUIRED' }) },
    ]);
    await markItemActive(database.db, id);
    expect((await changes()).map((c) => c.kind)).toEqual(['item.status_changed']);

    // A sync's cursor, the hourly check's time, the admin list's key, updated_at: nothing for the app.
    await database.sql`update plaid_items set transactions_cursor = 'c1', last_status_check_at = now(), login_confirmed_at = now(),
      stalest_success_at = now(), updated_at = now() where id = ${id}`;
    // The same value written again is no change either.
    await database.sql`update plaid_items set new_accounts_available = false, error_code = null where id = ${id}`;
    expect(await changes()).toEqual([]);
  });
});
