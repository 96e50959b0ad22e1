import fc from 'fast-check';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ChangeLog } from '../../src/simulator/change-log.js';
import { createContext } from '../../src/simulator/context.js';
import { Products } from '../../src/simulator/plaid-enums.js';
import { PreparedJson, jsonMembers } from '../../src/simulator/prepared-json.js';
import { Rng } from '../../src/simulator/prng.js';
import { SyncPages, type PageRequest } from '../../src/simulator/sync-pages.js';

function itemLog(transactionCount: number): ChangeLog {
  const ctx = createContext({ clientId: 'c', secret: 's', seed: 5, today: '2025-06-30' });
  return ctx.store.create({ institutionId: 'ins_109508', products: [Products.Transactions], transactionCount, historyDays: 400 }).log;
}

/** The members as the route used to serialize them: the scan's page through JSON.stringify. */
function expected(log: ChangeLog, request: PageRequest): string {
  const page = log.scan(request.start, request.position, request.count, request.accountId);
  const described = (list: typeof page.added) => (request.descriptions ? list.map((t) => ({ ...t, original_description: t.name })) : list);
  return JSON.stringify({ added: described(page.added), modified: described(page.modified), removed: page.removed }).slice(1, -1);
}

const request = (overrides: Partial<PageRequest> = {}): PageRequest => ({
  start: 0, position: 0, count: 100, accountId: undefined, descriptions: false, ...overrides,
});

describe('prepared /transactions/sync pages', () => {
  it('serves the bytes JSON.stringify gives, for every page of paginations with and without options', async () => {
    const log = itemLog(730);
    log.advance({ added: 12, modified: 40, removed: 9, posted: 3 }, new Rng(3), 20_000);
    const accountId = log.scan(0, 0, 1).added[0]!.account_id;
    for (const options of [{}, { descriptions: true }, { accountId }, { start: 300 }]) {
      const pages = new SyncPages(new AbortController().signal);
      let position = options.start ?? 0;
      for (let n = 0; ; n++) {
        const wanted = request({ ...options, position, count: 97 });
        const page = pages.page(log, wanted);
        expect(page.members.toString('utf8')).toBe(expected(log, wanted));
        if (!page.hasMore) break;
        position = page.next;
        // Every other page is asked for before its preparation ran: both paths give the same answer.
        if (n % 2 === 0) await nextTurn();
      }
    }
  });

  it('prepares the next page of a pagination once the current one is answered, and uses it', async () => {
    const log = itemLog(300);
    const pages = new SyncPages(new AbortController().signal);
    const first = pages.page(log, request());
    expect(first.hasMore).toBe(true);
    await nextTurn();
    expect(pages.size).toBe(1);
    const second = pages.page(log, request({ position: first.next }));
    expect(pages.size).toBe(0);
    expect(second.members.toString()).toBe(expected(log, request({ position: first.next })));
    // The last page prepares nothing.
    await nextTurn();
    const third = pages.page(log, request({ position: second.next, count: 500 }));
    expect(third.hasMore).toBe(false);
    await nextTurn();
    expect(pages.size).toBe(0);
  });

  it('drops a prepared page once the log changed, or when another page is asked for', async () => {
    const log = itemLog(300);
    const pages = new SyncPages(new AbortController().signal);
    const first = pages.page(log, request());
    await nextTurn();
    log.advance({ added: 5, modified: 5 }, new Rng(9), 20_000);
    const next = request({ position: first.next });
    expect(pages.page(log, next).members.toString()).toBe(expected(log, next));
    await nextTurn();
    // A different count than the one prepared for.
    const other = request({ position: first.next, count: 33 });
    expect(pages.page(log, other).members.toString()).toBe(expected(log, other));
  });

  it('keeps at most a few prepared pages, and prepares none once the simulator closes', async () => {
    const logs = Array.from({ length: 12 }, () => itemLog(150));
    const pages = new SyncPages(new AbortController().signal);
    for (const log of logs) pages.page(log, request());
    await nextTurn();
    expect(pages.size).toBe(8);

    const closing = new AbortController();
    const closed = new SyncPages(closing.signal);
    closed.page(logs[0]!, request());
    closing.abort();
    await nextTurn();
    expect(closed.size).toBe(0);
  });
});

describe('prepared JSON bodies', () => {
  it('equal JSON.stringify of the whole object, with the extra members last', () => {
    const leading = { added: [{ name: 'Café "Ünï" \\ \n' }], n: 1 };
    const rest = { next_cursor: 'abc', has_more: true, accounts: [] };
    const body = new PreparedJson(jsonMembers(leading), rest).body({ request_id: 'r1' });
    expect(Buffer.from(body).toString('utf8')).toBe(JSON.stringify({ ...leading, ...rest, request_id: 'r1' }));
    const bare = new PreparedJson(jsonMembers({ a: 1 }), {}).body({});
    expect(Buffer.from(bare).toString('utf8')).toBe('{"a":1}');
  });

  it('are the members JSON.stringify writes, as UTF-8, for any values and arrays of any length', () => {
    const value = fc.jsonValue();
    const members = fc.dictionary(fc.string(), fc.oneof(value, fc.array(value, { maxLength: 200 }), fc.constant(undefined)));
    fc.assert(
      fc.property(members, (object) => {
        expect(jsonMembers(object).toString('utf8')).toBe(JSON.stringify(object).slice(1, -1));
      }),
      { numRuns: 200 },
    );
    expect(jsonMembers({ note: 'Café ☕', list: Array.from({ length: 70 }, (_, i) => ({ i, s: 'ü'.repeat(i) })) })).toEqual(
      Buffer.from(JSON.stringify({ note: 'Café ☕', list: Array.from({ length: 70 }, (_, i) => ({ i, s: 'ü'.repeat(i) })) }).slice(1, -1), 'utf8'),
    );
  });
});
