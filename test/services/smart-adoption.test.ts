import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountExtended, plaidAccounts, plaidItems } from '../../src/db/schema/index.js';
import { adoptInactiveAccounts } from '../../src/services/smart-adoption.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

interface AccountSpec {
  name?: string;
  mask?: string | null;
  type?: string;
  subtype?: string | null;
  nickname?: string;
}

async function item(userId: string, institutionId: string, status: 'active' | 'disconnected', accounts: AccountSpec[]) {
  const [row] = await database.db
    .insert(plaidItems)
    .values({ userId, plaidItemId: `item-${randomUUID()}`, institutionId, accessTokenCiphertext: 'x', accessTokenKeyId: 'k', product: 'transactions', status })
    .returning();
  const rows = await database.db
    .insert(plaidAccounts)
    .values(
      accounts.map((a) => ({
        itemId: row!.id,
        userId,
        plaidAccountId: `acc-${randomUUID()}`,
        product: 'transactions' as const,
        status: status === 'active' ? ('active' as const) : ('inactive' as const),
        name: a.name ?? 'Checking',
        mask: a.mask === undefined ? '0000' : a.mask,
        type: a.type ?? 'depository',
        subtype: a.subtype === undefined ? 'checking' : a.subtype,
      })),
    )
    .returning();
  const withSettings = rows.flatMap((r, i) => (accounts[i]!.nickname ? [{ accountId: r.id, nickname: accounts[i]!.nickname, notes: 'n', paymentStatus: 'autopay' }] : []));
  if (withSettings.length > 0) await database.db.insert(accountExtended).values(withSettings);
  return { id: row!.id, accounts: rows.map((r) => r.id) };
}

const statuses = async (ids: string[]) =>
  Object.fromEntries((await database.db.select().from(plaidAccounts).where(inArray(plaidAccounts.id, ids))).map((a) => [a.id, [a.status, a.replacedBy]]));

const adopt = (userId: string, itemId: string, institutionId: string) =>
  database.db.transaction((tx) => adoptInactiveAccounts(tx, { userId, itemId, institutionId }));

describe('adoptInactiveAccounts', () => {
  it('pairs accounts one-to-one by mask, name, type and subtype; copies settings; marks the old ones replaced', async () => {
    const user = randomUUID();
    const old = await item(user, 'ins_a', 'disconnected', [{ mask: '1111', nickname: 'Bills' }, { name: 'Saving', mask: '2222', subtype: 'savings' }]);
    const fresh = await item(user, 'ins_a', 'active', [{ mask: '1111' }, { name: 'Saving', mask: '2222', subtype: 'savings' }, { name: 'Card', mask: '3333', type: 'credit', subtype: 'credit card' }]);
    const adoptions = await adopt(user, fresh.id, 'ins_a');
    expect(adoptions).toHaveLength(2);
    expect(adoptions).toEqual(
      expect.arrayContaining([
        { previousAccountId: old.accounts[0], accountId: fresh.accounts[0], settingsCopied: true },
        { previousAccountId: old.accounts[1], accountId: fresh.accounts[1], settingsCopied: false },
      ]),
    );
    expect(await statuses(old.accounts)).toEqual({ [old.accounts[0]!]: ['replaced', fresh.accounts[0]], [old.accounts[1]!]: ['replaced', fresh.accounts[1]] });
    const [copied] = await database.db.select().from(accountExtended).where(eq(accountExtended.accountId, fresh.accounts[0]!));
    expect(copied).toMatchObject({ nickname: 'Bills', notes: 'n', paymentStatus: 'autopay' });
  });

  it('adopts nothing when two inactive accounts match the same new one (ambiguous)', async () => {
    const user = randomUUID();
    const first = await item(user, 'ins_b', 'disconnected', [{ mask: '1111', nickname: 'A' }]);
    const second = await item(user, 'ins_b', 'disconnected', [{ mask: '1111', nickname: 'B' }]);
    const fresh = await item(user, 'ins_b', 'active', [{ mask: '1111' }]);
    expect(await adopt(user, fresh.id, 'ins_b')).toEqual([]);
    expect(await statuses([...first.accounts, ...second.accounts])).toEqual({ [first.accounts[0]!]: ['inactive', null], [second.accounts[0]!]: ['inactive', null] });
  });

  it('adopts nothing when two new accounts look alike', async () => {
    const user = randomUUID();
    await item(user, 'ins_c', 'disconnected', [{ mask: '1111', nickname: 'A' }]);
    const fresh = await item(user, 'ins_c', 'active', [{ mask: '1111' }, { mask: '1111' }]);
    expect(await adopt(user, fresh.id, 'ins_c')).toEqual([]);
  });

  it('needs mask, name, type and subtype to agree, and a mask at all', async () => {
    const user = randomUUID();
    await item(user, 'ins_d', 'disconnected', [
      { mask: '1111', name: 'Checking', nickname: 'renamed' },
      { mask: '2222', subtype: 'savings' },
      { mask: '3333', type: 'credit' },
      { mask: null, name: 'No mask' },
    ]);
    const fresh = await item(user, 'ins_d', 'active', [{ mask: '1111', name: 'Everyday Checking' }, { mask: '2222', subtype: 'checking' }, { mask: '3333' }, { mask: null, name: 'No mask' }]);
    expect(await adopt(user, fresh.id, 'ins_d')).toEqual([]);
  });

  it('never crosses institutions or users, and leaves active accounts alone', async () => {
    const user = randomUUID();
    await item(user, 'ins_other', 'disconnected', [{ mask: '1111' }]);
    await item(randomUUID(), 'ins_e', 'disconnected', [{ mask: '1111' }]);
    const live = await item(user, 'ins_e2', 'active', [{ mask: '1111' }]);
    const fresh = await item(user, 'ins_e', 'active', [{ mask: '1111' }]);
    expect(await adopt(user, fresh.id, 'ins_e')).toEqual([]);
    expect(await statuses(live.accounts)).toEqual({ [live.accounts[0]!]: ['active', null] });
  });
});
