import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import { loadCurrentRecords, recordKey, type FeedRef } from '../../src/services/change-records.js';
import { readChanges, type Change } from '../../src/services/change-feed.js';

/** What the app keeps: one record per key, built only from the feed. */
export interface FollowerCopy {
  records: Map<string, Record<string, unknown>>;
  /** Every change received, in the order received (to compare with the feed's own order). */
  received: string[];
}

function refOf(change: Change): FeedRef {
  const ids = change.ids;
  const entityId = ids.transaction_id ?? ids.investment_transaction_id ?? ids.security_id ?? (change.kind.startsWith('item.') ? ids.item_id : ids.account_id);
  return { kind: change.kind, entityId: entityId ?? '', accountId: ids.account_id ?? null, itemId: ids.item_id ?? null };
}

/** The app's rule: a record present is stored as it is, `record: null` deletes the id. */
export function applyChange(copy: FollowerCopy, change: Change): void {
  const ref = refOf(change);
  copy.received.push(`${change.kind}|${recordKey(ref)}`);
  const key = recordKey(ref);
  if (change.record === null) copy.records.delete(key);
  else copy.records.set(key, change.record as Record<string, unknown>);
  // A holding carries its security as stored now: the newest word on that security too.
  const security = (change.record as { security?: { id: string } } | null)?.security;
  if (security) copy.records.set(`security:${security.id}`, security);
}

/**
 * Follows one user's feed until `stop()` and then until caught up: polls with small pages so that
 * page boundaries fall everywhere, and a position may never repeat or go backwards.
 */
export function followFeed(db: Database, userId: string, options: { limit?: number; idleMs?: number } = {}) {
  const copy: FollowerCopy = { records: new Map(), received: [] };
  let cursor: string | undefined;
  let stopping = false;
  let polls = 0;
  const poll = async (): Promise<boolean> => {
    const page = await readChanges(db, { userId, cursor, limit: options.limit ?? 7 });
    polls++;
    for (const change of page.changes) applyChange(copy, change);
    cursor = page.next_cursor;
    return page.has_more;
  };
  let failure: Error | undefined;
  const done = (async () => {
    while (!stopping) {
      // Caught up: a short pause, as an app polling would take (and a pause that leaves the CPU to the writers).
      if (!(await poll())) await new Promise((resolve) => setTimeout(resolve, options.idleMs ?? 0));
    }
    while (await poll());
  })().catch((error: Error) => {
    failure = error;
  });
  return {
    copy,
    get polls() {
      return polls;
    },
    /** Why the follower stopped reading, if it failed (a writer waiting on its polls must not wait forever). */
    get failure() {
      return failure;
    },
    /** Call once every writer has committed: the follower then reads to the end and resolves. */
    async stop(): Promise<FollowerCopy> {
      stopping = true;
      await done;
      if (failure) throw failure;
      return copy;
    },
  };
}

/** The feed as stored at the end, in feed order: what the follower must have received, exactly. */
export async function storedFeed(db: Database, userId: string): Promise<string[]> {
  const rows = await db.execute<{ kind: string; entity_id: string; account_id: string | null; item_id: string | null }>(sql`
    select kind, entity_id, account_id, item_id from change_feed where user_id = ${userId} order by xid, seq`);
  return [...rows].map((r) => `${r.kind}|${recordKey({ kind: r.kind, entityId: r.entity_id, accountId: r.account_id, itemId: r.item_id })}`);
}

/** Every record of the user as stored now, keyed like the follower's copy. */
export async function storedRecords(db: Database, userId: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = await db.execute<{ kind: string; entity_id: string; account_id: string | null; item_id: string | null }>(sql`
    select 'transaction.x' as kind, t.plaid_transaction_id as entity_id, t.account_id, t.item_id
      from plaid_transactions t join plaid_accounts a on a.id = t.account_id where a.user_id = ${userId}
    union all
    select 'holding.x', h.security_id, h.account_id, h.item_id
      from investment_holdings h join plaid_accounts a on a.id = h.account_id where a.user_id = ${userId}
    union all
    select 'investment_transaction.x', t.plaid_investment_transaction_id, t.account_id, t.item_id
      from investment_transactions t join plaid_accounts a on a.id = t.account_id where a.user_id = ${userId}
    union all
    select 'liability.x', l.account_id::text, l.account_id, l.item_id
      from liabilities l join plaid_accounts a on a.id = l.account_id where a.user_id = ${userId}
    union all
    select 'account.x', a.id::text, a.id, a.item_id from plaid_accounts a where a.user_id = ${userId}`);
  const refs = [...rows].map((r) => ({ kind: r.kind, entityId: r.entity_id, accountId: r.account_id, itemId: r.item_id }));
  const records = new Map<string, Record<string, unknown>>();
  // In slices: a loader's id list is one bound parameter per id.
  for (let start = 0; start < refs.length; start += 2_000) {
    for (const [key, value] of await loadCurrentRecords(db, userId, refs.slice(start, start + 2_000))) records.set(key, value as Record<string, unknown>);
  }
  return records;
}

/**
 * Both sides without what the feed deliberately does not carry: when balances were last fetched
 * (moves on every sync, data or not) and each holding's embedded security.
 */
export function comparable(records: Map<string, Record<string, unknown>>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, record] of records) {
    // Compared on their own: items by status only, securities through the holdings that use them.
    if (key.startsWith('security:') || key.startsWith('item:')) continue;
    const copy: Record<string, unknown> = { ...record };
    if (key.startsWith('account:')) copy.balances = { ...(record.balances as object), updated_at: null };
    if (key.startsWith('holding:')) delete copy.security;
    out.set(key, copy);
  }
  return out;
}

/** Canonical JSON (keys sorted), so two records compare as strings. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1))) : inner,
  );
}

/**
 * How a copy differs from the truth, counted (a deep-equality diff of tens of thousands of records
 * would take minutes to print): keys missing from the copy, keys it has in excess, records that
 * differ, and a few examples.
 */
export function differences(copy: Map<string, unknown>, truth: Map<string, unknown>) {
  const missing = [...truth.keys()].filter((key) => !copy.has(key));
  const extra = [...copy.keys()].filter((key) => !truth.has(key));
  const different = [...truth.keys()].filter((key) => copy.has(key) && canonical(copy.get(key)) !== canonical(truth.get(key)));
  return {
    records: truth.size,
    missing: missing.length,
    extra: extra.length,
    different: different.length,
    examples: [...missing.slice(0, 2), ...extra.slice(0, 2), ...different.slice(0, 2)].map((key) => ({ key, copy: copy.get(key) ?? null, truth: truth.get(key) ?? null })),
  };
}

interface RequestTarget {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

/**
 * Every record of the user as the read endpoints return it, keyed like the follower's copy: the
 * guarantee is stated against them, not against the tables.
 */
export async function readEndpointRecords(app: RequestTarget, db: Database, userId: string, token: string): Promise<Map<string, Record<string, unknown>>> {
  const get = async (path: string): Promise<Record<string, unknown>> => {
    const res = await app.request(`/api${path}`, { headers: { authorization: `Bearer ${token}`, 'x-user-id': userId } });
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const paged = async (path: string, field: string) => {
    const rows: Record<string, unknown>[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await get(`${path}${path.includes('?') ? '&' : '?'}limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      rows.push(...(page[field] as Record<string, unknown>[]));
      cursor = page.next_cursor as string | null;
      if (!cursor) return rows;
    }
  };
  const records = new Map<string, Record<string, unknown>>();
  const accounts = await db.execute<{ id: string; product: string }>(sql`select id::text, product from plaid_accounts where user_id = ${userId}`);
  for (const account of accounts) {
    records.set(`account:${account.id}`, await get(`/accounts/${account.id}`));
    if (account.product === 'investments') {
      for (const h of (await get(`/accounts/${account.id}/holdings`)).holdings as Record<string, unknown>[]) records.set(`holding:${account.id}:${String(h.security_id)}`, h);
      for (const t of await paged(`/accounts/${account.id}/investment-transactions`, 'investment_transactions')) records.set(`investment_transaction:${String(t.id)}`, t);
    }
    if (account.product === 'liabilities') {
      for (const l of (await get(`/accounts/${account.id}/liabilities`)).liabilities as Record<string, unknown>[]) records.set(`liability:${account.id}`, l);
    }
  }
  for (const t of await paged('/transactions', 'transactions')) records.set(`transaction:${String(t.id)}`, t);
  return records;
}
