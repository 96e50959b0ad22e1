import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { PRODUCTS, type Product } from '../../src/db/schema/index.js';
import { markItemActive, markItemDisconnected } from '../../src/services/item-status.js';
import { comparable, differences, followFeed, readEndpointRecords, storedFeed, storedRecords } from '../support/feed-follower.js';
import { buildTestApp, TEST_API_TOKEN } from '../support/app.js';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../support/database.js';
import { startTestSimulator, type TestSimulator } from '../support/simulator.js';
import { diagnoseWhenSlow } from '../support/slow-diagnosis.js';
import { seedItem, syncHarness, type SeededItem, type SyncHarness } from '../support/sync-harness.js';

let database: TestDatabase;
let reader: DatabaseHandle;
let lateWriter: DatabaseHandle;
let sim: TestSimulator;
let harness: SyncHarness;
let app: ReturnType<typeof buildTestApp>['app'];

beforeAll(async () => {
  database = await createTestDatabase();
  // The follower reads through a pool of its own: other connections, other snapshots.
  reader = connectDatabase(databaseUrl(database.name), { max: 2 });
  // The late transaction holds its connection for a while: not one the syncs' pool needs (they
  // would wait for it while it waits for them).
  lateWriter = connectDatabase(databaseUrl(database.name), { max: 3 });
  sim = startTestSimulator();
  harness = syncHarness(database);
  app = buildTestApp(database).app;
});

afterAll(async () => {
  await harness.engine.stop(0);
  await reader.close();
  await lateWriter.close();
  await sim.close();
  await database.drop();
});

interface Items {
  userId: string;
  transactions: SeededItem;
  investments: SeededItem;
  liabilities: SeededItem;
  /** Written only by the late committer, so its open transaction never blocks a sync. */
  late: SeededItem;
}

type Op =
  | { type: 'bank'; added: number; modified: number; removed: number; posted: number }
  | { type: 'holdings'; added: number; updated: number }
  | { type: 'investment_transactions'; added: number }
  | { type: 'liabilities' }
  | { type: 'resync'; product: Product }
  | { type: 'login_required' }
  | { type: 'repaired' }
  | { type: 'disconnect_liabilities' }
  | { type: 'late_commit'; span: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ type: fc.constant('bank' as const), added: fc.nat(6), modified: fc.nat(4), removed: fc.nat(3), posted: fc.nat(3) }),
  fc.record({ type: fc.constant('holdings' as const), added: fc.nat(2), updated: fc.nat(3) }),
  fc.record({ type: fc.constant('investment_transactions' as const), added: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ type: fc.constant('liabilities' as const) }),
  fc.record({ type: fc.constant('resync' as const), product: fc.constantFrom<Product>(...PRODUCTS) }),
  fc.record({ type: fc.constant('login_required' as const) }),
  fc.record({ type: fc.constant('repaired' as const) }),
  fc.record({ type: fc.constant('disconnect_liabilities' as const) }),
  fc.record({ type: fc.constant('late_commit' as const), span: fc.integer({ min: 1, max: 3 }) }),
);

async function seedUser(): Promise<Items> {
  const userId = randomUUID();
  const seed = (products: Product[], transactionCount = 12) =>
    seedItem(database.db, sim.control, harness.vault, harness.plaid, { products, transactionCount, userId, institutionId: 'ins_109508' });
  const late = await seed(['transactions'], 0);
  // Every open late transaction needs an account of its own.
  expect(late.accounts.length).toBeGreaterThanOrEqual(MAX_OPEN_LATE);
  return { userId, transactions: await seed(['transactions']), investments: await seed(['investments']), liabilities: await seed(['liabilities']), late };
}

const sync = (item: SeededItem, product: Product) => harness.engine.run({ itemId: item.itemId, product, trigger: 'webhook' });

/**
 * A transaction that takes its id now (its first feed-producing write) and commits only after
 * `span` later operations committed and the follower polled past them: a cursor built from
 * sequence numbers alone would already be beyond its change.
 */
function openLateCommit(items: Items, follower: { polls: number; failure: Error | undefined }, slot: number) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let began!: () => void;
  const begun = new Promise<void>((resolve) => (began = resolve));
  const account = items.late.accounts[slot]!;
  let settled = false;
  const done = lateWriter.db.transaction(async (tx) => {
    await tx.execute(sql`update plaid_accounts set name = ${`late ${randomUUID().slice(0, 8)}`} where id = ${account.id}`);
    began();
    await released;
    // Let the follower poll while this is still open, so it has had the chance to skip it.
    const polls = follower.polls;
    while (follower.polls < polls + 2) {
      if (follower.failure) throw follower.failure;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }).finally(() => {
    settled = true;
  });
  return {
    slot,
    begun,
    release,
    done,
    get settled() {
      return settled;
    },
  };
}

/** Late transactions open at once: each holds a connection of `lateWriter` and one of the late item's accounts. */
const MAX_OPEN_LATE = 2;

/** The item an operation writes: operations on one item run one after another. */
function targetOf(op: Op): string {
  if (op.type === 'bank' || op.type === 'login_required' || op.type === 'repaired') return 'transactions';
  if (op.type === 'holdings' || op.type === 'investment_transactions') return 'investments';
  if (op.type === 'liabilities' || op.type === 'disconnect_liabilities') return 'liabilities';
  if (op.type === 'resync') return op.product;
  return 'late';
}

/** What the test is doing, for the diagnosis printed if it ever runs out of time. */
let doing = 'starting';

async function apply(op: Op, items: Items): Promise<void> {
  const { control } = sim;
  doing = `applying ${JSON.stringify(op)}`;
  switch (op.type) {
    case 'bank':
      control.advance(items.transactions.plaidItemId, op);
      await sync(items.transactions, 'transactions');
      return;
    case 'holdings':
      control.updateHoldings(items.investments.plaidItemId, op);
      await sync(items.investments, 'investments');
      return;
    case 'investment_transactions':
      control.addInvestmentTransactions(items.investments.plaidItemId, op.added);
      await sync(items.investments, 'investments');
      return;
    case 'liabilities':
      control.updateLiabilities(items.liabilities.plaidItemId);
      await sync(items.liabilities, 'liabilities');
      return;
    case 'resync':
      await sync(op.product === 'transactions' ? items.transactions : op.product === 'investments' ? items.investments : items.liabilities, op.product);
      return;
    case 'login_required':
      control.loginRequired(items.transactions.plaidItemId);
      // The failed run moves the item to needs_reauth.
      await sync(items.transactions, 'transactions');
      return;
    case 'repaired':
      control.repairLogin(items.transactions.plaidItemId);
      await markItemActive(database.db, items.transactions.itemId);
      return;
    case 'disconnect_liabilities':
      await database.db.transaction((tx) => markItemDisconnected(tx, items.liabilities.itemId));
      return;
    case 'late_commit':
      return;
  }
}

describe('the change feed, followed while syncs commit', () => {
  const kindsSeen: string[] = [];
  it('a follower that applies every change ends with exactly the store: 0 missing, 0 duplicated, 0 out of order', async () => {
    const diagnosis = diagnoseWhenSlow(database.sql, 120_000, () => doing);
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 3, maxLength: 10 }), fc.integer({ min: 1, max: 9 }), async (ops, pageSize) => {
        const items = await seedUser();
        const follower = followFeed(reader.db, items.userId, { limit: pageSize });
        // The first syncs: everything the items hold, while the follower already reads.
        await Promise.all([sync(items.transactions, 'transactions'), sync(items.investments, 'investments'), sync(items.liabilities, 'liabilities')]);
        const late: { due: number; open: ReturnType<typeof openLateCommit> }[] = [];
        try {
          for (let index = 0; index < ops.length; ) {
            const op = ops[index]!;
            if (op.type === 'late_commit') {
              // At most MAX_OPEN_LATE at once (each holds a connection and a row): the oldest commits first.
              const unsettled = late.filter((entry) => !entry.open.settled);
              if (unsettled.length >= MAX_OPEN_LATE) {
                doing = 'committing the oldest late transaction to make room';
                unsettled[0]!.open.release();
                await unsettled[0]!.open.done;
              }
              // Open late transactions write different rows: one waiting on another's row lock would never begin.
              const taken = new Set(late.filter((entry) => !entry.open.settled).map((entry) => entry.open.slot));
              const slot = items.late.accounts.findIndex((_, index) => !taken.has(index));
              const open = openLateCommit(items, follower, slot);
              await open.begun;
              late.push({ due: index + op.span, open });
              index++;
              continue;
            }
            // Two operations on different items run at once, so their commits interleave.
            const next = ops[index + 1];
            const together = next !== undefined && next.type !== 'late_commit' && targetOf(next) !== targetOf(op);
            await Promise.all([apply(op, items), together ? apply(next, items) : undefined]);
            index += together ? 2 : 1;
            for (const entry of late) if (entry.due < index) entry.open.release();
          }
        } finally {
          // Even when an operation failed: an open transaction would hold back every later read of the feed.
          for (const entry of late) entry.open.release();
        }
        doing = 'waiting for the late transactions to commit';
        await Promise.all(late.map((entry) => entry.open.done));
        doing = 'reading the rest of the feed';
        const copy = await follower.stop();
        doing = 'comparing';

        const feed = await storedFeed(database.db, items.userId);
        // Not a vacuous pass: the first syncs alone write accounts, transactions, holdings and liabilities.
        const kinds = new Set(feed.map((entry) => entry.slice(0, entry.indexOf('|'))));
        for (const kind of ['account.added', 'transaction.added', 'holding.added', 'liability.updated']) expect(kinds).toContain(kind);
        kindsSeen.push(...kinds);
        expect(copy.received.length).toBe(feed.length);
        expect(copy.received).toEqual(feed);

        const store = await storedRecords(database.db, items.userId);
        expect(differences(comparable(copy.records), comparable(store))).toMatchObject({ missing: 0, extra: 0, different: 0 });
        // And the same against what the read endpoints answer, which the guarantee is stated for.
        const endpoints = await readEndpointRecords(app, database.db, items.userId, TEST_API_TOKEN);
        expect(differences(comparable(copy.records), comparable(endpoints))).toMatchObject({ missing: 0, extra: 0, different: 0 });
        for (const [key, record] of store) {
          if (!key.startsWith('holding:')) continue;
          const security = (record as { security: { id: string } }).security;
          expect(copy.records.get(`security:${security.id}`), key).toEqual(security);
        }
        const statuses = await database.db.execute<{ id: string; status: string }>(sql`select id::text, status from plaid_items where user_id = ${items.userId}`);
        for (const item of statuses) {
          const known = copy.records.get(`item:${item.id}`);
          if (known) expect(known.status, item.id).toBe(item.status);
          else expect(item.status).toBe('active');
        }
      }),
      {
        numRuns: 12,
        endOnFailure: true,
        // One run of every operation, so each kind is produced whatever the random draws.
        examples: [[[
          { type: 'late_commit', span: 2 }, { type: 'late_commit', span: 1 }, { type: 'late_commit', span: 3 }, { type: 'bank', added: 3, modified: 2, removed: 1, posted: 2 }, { type: 'holdings', added: 1, updated: 2 },
          { type: 'investment_transactions', added: 2 }, { type: 'liabilities' }, { type: 'login_required' }, { type: 'repaired' },
          { type: 'resync', product: 'transactions' }, { type: 'disconnect_liabilities' },
        ], 3]],
      },
    );
    clearTimeout(diagnosis);
    // Across the runs, every kind the syncs here can produce showed up at least once.
    for (const kind of ['transaction.modified', 'transaction.removed', 'holding.modified', 'investment_transaction.added', 'account.updated', 'item.status_changed', 'account.status_changed']) {
      expect(kindsSeen, kind).toContain(kind);
    }
  }, 180_000);
});
