import fc from 'fast-check';
import { TransactionsUpdateStatus } from 'plaid';
import type { Transaction, TransactionsSyncRequest, TransactionsSyncResponse, PlaidError } from 'plaid';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/simulator/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { CLIENT_ID, SECRET, webhookRecorder } from './support.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

type SyncResult = { ok: true; data: TransactionsSyncResponse } | { ok: false; status: number; error: PlaidError };

async function sync(s: Simulator, body: TransactionsSyncRequest): Promise<SyncResult> {
  const response = await s.fetch(new Request('https://simulator.plaid.test/transactions/sync', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'PLAID-CLIENT-ID': CLIENT_ID, 'PLAID-SECRET': SECRET },
    body: JSON.stringify(body),
  }));
  if (response.status === 200) return { ok: true, data: await response.json() as TransactionsSyncResponse };
  return { ok: false, status: response.status, error: await response.json() as PlaidError };
}

async function syncOk(s: Simulator, body: TransactionsSyncRequest): Promise<TransactionsSyncResponse> {
  const result = await sync(s, body);
  if (!result.ok) throw new Error(`sync failed: ${result.error.error_code}`);
  return result.data;
}

/** A client's store: applies each page's added, then modified, then removed, checking it knows what changes. */
class LocalStore {
  readonly rows = new Map<string, Transaction>();

  apply(page: TransactionsSyncResponse): void {
    for (const t of page.added) {
      expect(this.rows.has(t.transaction_id), `added twice: ${t.transaction_id}`).toBe(false);
      this.rows.set(t.transaction_id, t);
    }
    for (const t of page.modified) {
      expect(this.rows.has(t.transaction_id), `modified unknown: ${t.transaction_id}`).toBe(true);
      this.rows.set(t.transaction_id, t);
    }
    for (const r of page.removed) {
      expect(this.rows.has(r.transaction_id), `removed unknown: ${r.transaction_id}`).toBe(true);
      this.rows.delete(r.transaction_id);
    }
  }
}

/** Pages from `cursor` until has_more is false, applying only once the whole update is in (as the service must). */
async function syncUpdate(s: Simulator, accessToken: string, store: LocalStore, cursor: string, count: number): Promise<string> {
  const pages: TransactionsSyncResponse[] = [];
  let next = cursor;
  for (;;) {
    const page = await syncOk(s, { access_token: accessToken, cursor: next, count });
    pages.push(page);
    next = page.next_cursor;
    if (!page.has_more) break;
  }
  for (const page of pages) store.apply(page);
  return next;
}

function expectMatchesTruth(s: Simulator, itemId: string, store: LocalStore): void {
  const truth = s.control.truth(itemId);
  expect(store.rows.size).toBe(truth.count);
  for (const t of truth.transactions()) expect(store.rows.get(t.transaction_id)).toEqual(t);
}

describe('/transactions/sync over the change log', () => {
  it('pages 100,000 transactions with no gap or duplicate, then exactly the delta of an advance', async () => {
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, seed: 11 });
    const { itemId, accessToken } = sim.control.createItem({ transactionCount: 100_000, historyDays: 730 });
    const store = new LocalStore();
    let cursor = '';
    let pages = 0;
    for (;;) {
      const page = await syncOk(sim, { access_token: accessToken, cursor, count: 500 });
      expect(page.added.length).toBeLessThanOrEqual(500);
      expect(page.modified).toEqual([]);
      expect(page.removed).toEqual([]);
      store.apply(page);
      pages++;
      cursor = page.next_cursor;
      if (!page.has_more) break;
    }
    expect(pages).toBe(200);
    expect(store.rows.size).toBe(100_000);
    const truthIds = new Set<string>();
    for (const t of sim.control.truth(itemId)) truthIds.add(t.transaction_id);
    expect(truthIds.size).toBe(100_000);
    for (const id of truthIds) expect(store.rows.has(id)).toBe(true);

    const advance = sim.control.advance(itemId, { added: 40, modified: 30, removed: 20, posted: 10 });
    const delta = { added: new Set<string>(), modified: new Set<string>(), removed: new Set<string>() };
    for (;;) {
      const page = await syncOk(sim, { access_token: accessToken, cursor, count: 7 });
      for (const t of page.added) delta.added.add(t.transaction_id);
      for (const t of page.modified) delta.modified.add(t.transaction_id);
      for (const r of page.removed) delta.removed.add(r.transaction_id);
      store.apply(page);
      cursor = page.next_cursor;
      if (!page.has_more) break;
    }
    expect(delta.added).toEqual(new Set([...advance.added, ...advance.posted.map((p) => p.transaction_id)]));
    expect(delta.modified).toEqual(new Set(advance.modified));
    expect(delta.removed).toEqual(new Set(advance.removed));
    expectMatchesTruth(sim, itemId, store);

    const empty = await syncOk(sim, { access_token: accessToken, cursor });
    expect(empty).toMatchObject({ added: [], modified: [], removed: [], has_more: false, next_cursor: cursor });
  }, 90_000); // 200 pages of 500 built and checked in-process: CPU-bound, slow when other files share the cores

  it('posts pending transactions: the pending id is removed, the posted one added with pending_transaction_id', async () => {
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, seed: 3 });
    const { itemId, accessToken } = sim.control.createItem({ transactionCount: 500 });
    const first = await syncOk(sim, { access_token: accessToken, count: 500 });
    const pending = first.added.filter((t) => t.pending);
    expect(pending.length).toBeGreaterThan(0);
    const advance = sim.control.advance(itemId, { posted: pending.length });
    const next = await syncOk(sim, { access_token: accessToken, cursor: first.next_cursor, count: 500 });
    expect(new Set(next.removed.map((r) => r.transaction_id))).toEqual(new Set(pending.map((t) => t.transaction_id)));
    for (const posted of next.added) {
      const original = pending.find((p) => p.transaction_id === posted.pending_transaction_id);
      expect(original).toBeDefined();
      expect(posted.pending).toBe(false);
      expect(posted.account_id).toBe(original!.account_id);
      expect(posted.authorized_date).toBe(original!.date);
    }
    expect(advance.posted).toHaveLength(pending.length);
  });

  it('fails mid-pagination when the log changes, and succeeds when restarted from the starting cursor', async () => {
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, seed: 5 });
    const { itemId, accessToken } = sim.control.createItem({ transactionCount: 2_000 });
    const store = new LocalStore();
    const start = await syncUpdate(sim, accessToken, store, '', 500);

    sim.control.advance(itemId, { added: 600, modified: 50, removed: 50 });
    const firstPage = await syncOk(sim, { access_token: accessToken, cursor: start, count: 100 });
    expect(firstPage.has_more).toBe(true);
    sim.control.advance(itemId, { added: 1, modified: 1 });
    const failed = await sync(sim, { access_token: accessToken, cursor: firstPage.next_cursor, count: 100 });
    expect(failed).toMatchObject({ ok: false, status: 400, error: { error_type: 'TRANSACTIONS_ERROR', error_code: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION' } });

    const cursor = await syncUpdate(sim, accessToken, store, start, 100);
    expectMatchesTruth(sim, itemId, store);

    sim.control.advance(itemId, { added: 300 });
    const page = await syncOk(sim, { access_token: accessToken, cursor, count: 100 });
    sim.control.failNextPagination(itemId);
    const injected = await sync(sim, { access_token: accessToken, cursor: page.next_cursor, count: 100 });
    expect(injected).toMatchObject({ ok: false, error: { error_code: 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION' } });
    await syncUpdate(sim, accessToken, store, cursor, 100);
    expectMatchesTruth(sim, itemId, store);
  });

  it('modifies and removes nothing on an item that has no transaction yet (found by the property below)', async () => {
    const s = createSimulator({ clientId: CLIENT_ID, secret: SECRET, seed: 1 });
    try {
      const { itemId, accessToken } = s.control.createItem({ transactionCount: 0 });
      const result = s.control.advance(itemId, { modified: 1, removed: 1, posted: 1 });
      expect(result.modified).toEqual([]);
      expect(result.removed).toEqual([]);
      const store = new LocalStore();
      await syncUpdate(s, accessToken, store, '', 500);
      expectMatchesTruth(s, itemId, store);
    } finally {
      await s.close();
    }
  });

  it('reaches the truth for any interleaving of advances and paginations', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 300 }),
      fc.array(fc.record({
        added: fc.nat(40), modified: fc.nat(25), removed: fc.nat(25), posted: fc.nat(5),
        count: fc.integer({ min: 1, max: 60 }), interruptAfter: fc.option(fc.nat(3), { nil: undefined }),
      }), { maxLength: 6 }),
      fc.integer({ min: 1, max: 1_000 }),
      async (initial, steps, seed) => {
        const s = createSimulator({ clientId: CLIENT_ID, secret: SECRET, seed });
        try {
          const { itemId, accessToken } = s.control.createItem({ transactionCount: initial });
          const store = new LocalStore();
          let cursor = await syncUpdate(s, accessToken, store, '', 500);
          for (const step of steps) {
            s.control.advance(itemId, step);
            if (step.interruptAfter !== undefined) {
              // Page part of the update, let the Item change, then recover as the docs prescribe.
              let next = cursor;
              for (let i = 0; i <= step.interruptAfter; i++) {
                const page = await syncOk(s, { access_token: accessToken, cursor: next, count: step.count });
                next = page.next_cursor;
                if (!page.has_more) break;
              }
              s.control.advance(itemId, { added: 1, modified: 1, removed: 1 });
            }
            cursor = await syncUpdate(s, accessToken, store, cursor, step.count);
          }
          expectMatchesTruth(s, itemId, store);
          const fromScratch = new LocalStore();
          await syncUpdate(s, accessToken, fromScratch, '', 500);
          expect(new Map(fromScratch.rows)).toEqual(new Map(store.rows));
        } finally {
          await s.close();
        }
      },
    ), { numRuns: 40 });
  });

  it('answers empty with an empty cursor until the Item is ready, then fires SYNC_UPDATES_AVAILABLE', async () => {
    const hooks = webhookRecorder();
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, deliverWebhook: hooks.deliver });
    const { itemId, accessToken } = sim.control.createItem({ ready: false, webhook: 'https://hooks.test/h', transactionCount: 10 });
    expect(sim.control.markReady(itemId, 'initial').webhookFired).toBe(false);
    const { itemId: other, accessToken: otherToken } = sim.control.createItem({ ready: false, webhook: 'https://hooks.test/h', transactionCount: 10 });
    const notReady = await syncOk(sim, { access_token: otherToken });
    expect(notReady).toMatchObject({ added: [], modified: [], removed: [], next_cursor: '', has_more: false, transactions_update_status: TransactionsUpdateStatus.NotReady });
    expect(sim.control.markReady(other, 'initial').webhookFired).toBe(true);
    const store = new LocalStore();
    const initial = await syncOk(sim, { access_token: otherToken, cursor: '' });
    store.apply(initial);
    expect(initial.transactions_update_status).toBe(TransactionsUpdateStatus.InitialUpdateComplete);
    // The initial update holds the last 30 days; the older history comes with the historical one.
    const cutoff = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    expect(initial.added.length).toBeGreaterThan(0);
    expect(initial.added.length).toBeLessThan(10);
    expect(initial.added.every((t) => t.date >= cutoff)).toBe(true);
    expect(sim.control.markReady(other).webhookFired).toBe(true);
    await sim.control.idle();
    expect(hooks.received.map((h) => [h.payload.initial_update_complete, h.payload.historical_update_complete])).toEqual([[true, false], [true, true]]);
    const historical = await syncOk(sim, { access_token: otherToken, cursor: initial.next_cursor });
    store.apply(historical);
    expect(historical.transactions_update_status).toBe(TransactionsUpdateStatus.HistoricalUpdateComplete);
    expect(historical.added.every((t) => t.date < cutoff)).toBe(true);
    expect(historical.modified).toEqual([]);
    expectMatchesTruth(sim, other, store);
    // The first Item never had its historical update: it still shows only the recent days.
    expect((await syncOk(sim, { access_token: accessToken })).added).toHaveLength(initial.added.length);
  });

  it('supports the "now" cursor, per-account streams and deterministic data', async () => {
    sim = createSimulator({ clientId: CLIENT_ID, secret: SECRET, seed: 99, today: '2025-06-30' });
    const { itemId, accessToken, accountIds } = sim.control.createItem({ transactionCount: 300 });
    const now = await syncOk(sim, { access_token: accessToken, cursor: 'now' });
    expect(now.added).toEqual([]);
    sim.control.advance(itemId, { added: 5 });
    expect((await syncOk(sim, { access_token: accessToken, cursor: now.next_cursor })).added).toHaveLength(5);

    const checking = accountIds[0]!;
    const stream = await syncOk(sim, { access_token: accessToken, count: 500, options: { account_id: checking, include_original_description: true } });
    expect(stream.added.length).toBeGreaterThan(0);
    expect(stream.added.every((t) => t.account_id === checking && t.original_description === t.name)).toBe(true);
    const mixed = await sync(sim, { access_token: accessToken, cursor: stream.next_cursor });
    expect(mixed).toMatchObject({ ok: false, error: { error_code: 'INVALID_FIELD' } });

    const twin = createSimulator({ clientId: CLIENT_ID, secret: SECRET, seed: 99, today: '2025-06-30' });
    const twinItem = twin.control.createItem({ transactionCount: 300 });
    expect(twinItem.itemId).toBe(itemId);
    const a = await syncOk(twin, { access_token: twinItem.accessToken, count: 50 });
    const first = await syncOk(sim, { access_token: accessToken, count: 50 });
    expect(a.added.map((t) => [t.transaction_id, t.amount, t.date])).toEqual(first.added.map((t) => [t.transaction_id, t.amount, t.date]));
    expect(first.added[0]!.date >= '2025-04-01').toBe(true);
    await twin.close();
  });
});
