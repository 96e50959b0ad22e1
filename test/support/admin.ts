import { randomBytes, randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import type { Sql } from '../../src/db/client.js';
import type { TokenVault } from '../../src/vault/token-vault.js';
import { TEST_ADMIN_PASSWORD } from './app.js';

type FetchApp = Pick<Hono, 'request'>;

export interface AdminSessionForTest {
  cookie: string;
  csrfToken: string;
  /** Headers an htmx request from the page would carry: session, CSRF token, same origin. */
  headers(extra?: Record<string, string>): Record<string, string>;
}

/** Logs in through the form and reads the CSRF token from the page, as a browser would. */
export async function loginAsAdmin(app: FetchApp, origin = 'http://localhost'): Promise<AdminSessionForTest> {
  const res = await app.request('/admin/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ password: TEST_ADMIN_PASSWORD }).toString(),
  });
  if (res.status !== 303) throw new Error(`login failed with ${res.status}`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await app.request('/admin/items', { headers: { cookie } })).text();
  const csrfToken = /<meta name="csrf-token" content="([^"]+)"/.exec(page)?.[1];
  if (!csrfToken) throw new Error('no CSRF token on the page');
  return {
    cookie,
    csrfToken,
    headers: (extra = {}) => ({ cookie, 'x-csrf-token': csrfToken, origin, 'hx-request': 'true', ...extra }),
  };
}

export interface SeededItem {
  id: string;
  userId: string;
  plaidItemId: string;
  accessToken: string;
}

/** An item row with a sealed access token, as the exchange would store it. */
export async function insertItem(
  sql: Sql,
  vault: TokenVault,
  values: { institutionName?: string; institutionId?: string; status?: string; products?: string[]; userId?: string; errorCode?: string | null; plaidItemId?: string } = {},
): Promise<SeededItem> {
  const plaidItemId = values.plaidItemId ?? `item-${randomBytes(8).toString('hex')}`;
  const accessToken = `access-sandbox-${randomUUID()}`;
  const sealed = vault.encrypt(accessToken, plaidItemId);
  const userId = values.userId ?? randomUUID();
  const [row] = await sql<{ id: string }[]>`
    insert into plaid_items (user_id, plaid_item_id, institution_id, institution_name, access_token_ciphertext, access_token_key_id,
      product, products, entitled_products, status, error_code)
    values (${userId}, ${plaidItemId}, ${values.institutionId ?? `ins_${randomBytes(4).toString('hex')}`}, ${values.institutionName ?? 'Test Bank'},
      ${sealed.ciphertext}, ${sealed.keyId}, 'transactions', ${values.products ?? ['transactions']}, ${values.products ?? ['transactions']},
      ${values.status ?? 'active'}, ${values.errorCode ?? null})
    returning id`;
  return { id: row!.id, userId, plaidItemId, accessToken };
}

export async function insertAccount(sql: Sql, item: SeededItem, values: { product?: string; name?: string; status?: string; balance?: string } = {}): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into plaid_accounts (item_id, user_id, plaid_account_id, product, status, name, type, subtype, balance_current, iso_currency_code)
    values (${item.id}, ${item.userId}, ${`acc-${randomBytes(8).toString('hex')}`}, ${values.product ?? 'transactions'}, ${values.status ?? 'active'},
      ${values.name ?? 'Checking'}, 'depository', 'checking', ${values.balance ?? '100.25'}, 'USD')
    returning id`;
  return row!.id;
}

export async function insertSyncRun(
  sql: Sql,
  itemId: string,
  values: { product?: string; status?: string; trigger?: string; startedAt?: Date; finishedAt?: Date | null; added?: number; errorCode?: string | null } = {},
): Promise<string> {
  const startedAt = values.startedAt ?? new Date();
  const status = values.status ?? 'succeeded';
  const finishedAt = values.finishedAt === undefined ? (status === 'running' ? null : new Date(startedAt.getTime() + 1500)) : values.finishedAt;
  const [row] = await sql<{ id: string }[]>`
    insert into sync_runs (item_id, product, trigger, status, started_at, finished_at, pages, added, modified, removed, error_code)
    values (${itemId}, ${values.product ?? 'transactions'}, ${values.trigger ?? 'webhook'}, ${status}, ${startedAt.toISOString()}, ${finishedAt?.toISOString() ?? null}, 1,
      ${values.added ?? 3}, 0, 0, ${values.errorCode ?? null})
    returning id`;
  // What a run's commit keeps for the admin list's sort (`finishRunSeeingFollowUp`): the finish time
  // of the newest succeeded run of the (item, product).
  if (status === 'succeeded') {
    await sql`
      insert into sync_state (item_id, product, last_succeeded_at)
      select item_id, product, finished_at from sync_runs
      where item_id = ${itemId} and product = ${values.product ?? 'transactions'} and status = 'succeeded'
      order by started_at desc limit 1
      on conflict (item_id, product) do update set last_succeeded_at = excluded.last_succeeded_at`;
  }
  return row!.id;
}
