import { Products } from 'plaid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorServer } from '../../src/simulator/index.js';
import { createEmptyDatabase } from '../support/database.js';
import { CLIENT_ID, SECRET, plaidClient } from './support.js';

type Started = Awaited<ReturnType<typeof startSimulatorServer>>;

const cents = (value: number | null | undefined) => Math.round((value ?? 0) * 100);

describe('simulator balances move over time', () => {
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  const open: Started[] = [];
  const start = async () => {
    const server = await startSimulatorServer({ clientId: CLIENT_ID, secret: SECRET, stateDatabaseUrl: database.url, defaultTransactionCount: 20 });
    open.push(server);
    return server;
  };
  beforeAll(async () => {
    database = await createEmptyDatabase();
  });
  afterAll(async () => {
    for (const server of open) await server.close();
    await database.drop();
  });

  it('an advance moves the balances of the accounts its transactions land in; a balance can change without any; both survive a restart', async () => {
    let server = await start();
    const plaid = plaidClient(server.url);
    const { data: created } = await plaid.sandboxPublicTokenCreate({ institution_id: 'ins_109508', initial_products: [Products.Transactions] });
    const { data: item } = await plaid.itemPublicTokenExchange({ public_token: created.public_token });
    const control = () => server.simulator.control;
    const before = new Map(control().accountsTruth(item.item_id).map((a) => [a.account_id, a]));

    const advanced = control().advance(item.item_id, { added: 6 });
    const added = [...control().truth(item.item_id).transactions()].filter((t) => advanced.added.includes(t.transaction_id));
    expect(added).toHaveLength(6);
    const after = (await plaid.accountsGet({ access_token: item.access_token })).data.accounts;
    for (const account of after) {
      const moved = added.filter((t) => t.account_id === account.account_id).reduce((sum, t) => sum + cents(t.amount), 0);
      const sign = String(account.type) === 'depository' ? -1 : 1;
      expect(cents(account.balances.current)).toBe(cents(before.get(account.account_id)!.balances.current) + sign * moved);
      if (String(account.type) === 'credit' && account.balances.limit !== null) {
        // A card pushed past its limit has nothing available, never a negative amount.
        expect(cents(account.balances.available)).toBe(Math.max(0, cents(account.balances.limit) - cents(account.balances.current)));
      }
    }

    const savings = after.find((a) => String(a.subtype) === 'savings')!;
    const changed = control().setBalance(item.item_id, { accountId: savings.account_id, current: 4321.09 });
    expect(changed).toMatchObject({ account_id: savings.account_id, balances: { current: 4321.09 } });
    // Available keeps its gap to current when not given.
    expect(cents(changed.balances.available) - 432109).toBe(cents(savings.balances.available) - cents(savings.balances.current));
    expect(control().webhookDeliveries()).toEqual([]);
    // The HTTP control route does the same.
    const res = await fetch(`${server.url}/simulator/items/${item.item_id}/balance`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accountId: savings.account_id, current: 4400, available: 4000.5 }),
    });
    expect(await res.json()).toMatchObject({ balances: { current: 4400, available: 4000.5 } });

    await plaid.itemGet({ access_token: item.access_token });
    const kept = (await plaid.accountsGet({ access_token: item.access_token })).data.accounts;
    await server.close();
    open.splice(open.indexOf(server), 1);
    server = await start();
    expect((await plaidClient(server.url).accountsGet({ access_token: item.access_token })).data.accounts).toEqual(kept);
  });
});
