import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { plaidAccounts } from '../../src/db/schema/index.js';
import { seedItem, useSyncEnvironment, type SeededItem } from '../support/sync-harness.js';

const env = useSyncEnvironment();

const seed = (transactionCount: number) => seedItem(env.database.db, env.sim.control, env.harness.vault, env.harness.plaid, { transactionCount });
const run = (item: SeededItem) => env.harness.engine.run({ itemId: item.itemId, product: 'transactions', trigger: 'api' });

/** Stored balances by Plaid account id, as decimal text. */
async function storedBalances(item: SeededItem) {
  const rows = await env.database.db.select().from(plaidAccounts).where(eq(plaidAccounts.itemId, item.itemId));
  return Object.fromEntries(rows.map((r) => [r.plaidAccountId, { current: r.balanceCurrent, available: r.balanceAvailable }]));
}

/** The bank's balances (the simulator's truth) in the stored form. */
function truthBalances(item: SeededItem) {
  const decimal = (value: number | null | undefined) => (value === null || value === undefined ? null : Number(value).toFixed(2));
  return Object.fromEntries(env.sim.control.accountsTruth(item.plaidItemId).map((a) => [a.account_id, { current: decimal(a.balances.current), available: decimal(a.balances.available) }]));
}

const asCents = (balances: Record<string, { current: string | null; available: string | null }>) =>
  Object.fromEntries(Object.entries(balances).map(([id, b]) => [id, { current: b.current === null ? null : Number(b.current).toFixed(2), available: b.available === null ? null : Number(b.available).toFixed(2) }]));

describe('balances after a transactions sync', () => {
  it('are fresh for a quiet account whose balance changed at the bank, at the cost of one /accounts/get per run', async () => {
    const item = await seed(30);
    expect(await run(item)).toMatchObject({ status: 'succeeded' });
    expect(asCents(await storedBalances(item))).toEqual(truthBalances(item));

    // One new transaction in one account; another account's balance changes without any (interest).
    const advanced = env.sim.control.advance(item.plaidItemId, { added: 1 });
    const [added] = [...env.sim.control.truth(item.plaidItemId).transactions()].filter((t) => advanced.added.includes(t.transaction_id));
    const quiet = env.sim.control.accountsTruth(item.plaidItemId).find((a) => a.account_id !== added!.account_id && String(a.type) === 'depository')!;
    env.sim.control.setBalance(item.plaidItemId, { accountId: quiet.account_id, current: 1234.56, available: 1200 });

    env.sim.control.resetCalls();
    expect(await run(item)).toMatchObject({ status: 'succeeded', counts: { pages: 1, added: 1 } });
    const stored = await storedBalances(item);
    expect(stored[quiet.account_id]).toEqual({ current: '1234.56', available: '1200' });
    expect(asCents(stored)).toEqual(truthBalances(item));
    expect(env.sim.control.calls()).toEqual({ '/transactions/sync': 1, '/accounts/get': 1 });

    // A run with nothing new still refreshes them.
    env.sim.control.setBalance(item.plaidItemId, { accountId: quiet.account_id, current: 99.01 });
    expect(await run(item)).toMatchObject({ status: 'succeeded', counts: { pages: 1, added: 0 } });
    expect((await storedBalances(item))[quiet.account_id]!.current).toBe('99.01');
  });

  it('are fresh after a long (staged) run too, still with one /accounts/get', async () => {
    const item = await seed(1_100);
    const quiet = env.sim.control.accountsTruth(item.plaidItemId)[0]!;
    env.sim.control.setBalance(item.plaidItemId, { accountId: quiet.account_id, current: 777.77 });
    env.sim.control.resetCalls();
    expect(await run(item)).toMatchObject({ status: 'succeeded', counts: { pages: 3, added: 1_100 } });
    expect(env.sim.control.calls()).toEqual({ '/transactions/sync': 3, '/accounts/get': 1 });
    expect(asCents(await storedBalances(item))).toEqual(truthBalances(item));
    expect((await storedBalances(item))[quiet.account_id]!.current).toBe('777.77');
  });

  it('fails the run when /accounts/get fails for good, so a run that succeeded always has fresh balances', async () => {
    const item = await seed(10);
    env.sim.control.addFault({ endpoint: '/accounts/get', kind: 'institution_down', count: 100 });
    expect(await run(item)).toMatchObject({ status: 'failed', error: { code: 'INSTITUTION_DOWN' } });
    env.sim.control.clearFaults();
  });
});
