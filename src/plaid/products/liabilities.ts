/**
 * Liabilities: `/liabilities/get` in one call. Each credit card, mortgage and student loan becomes a
 * `liabilities` row holding Plaid's detail object whole; balances refresh from the returned accounts.
 */
import { sql } from 'drizzle-orm';
import { AccountType, Products, type LiabilitiesGetResponse } from 'plaid';
import type { SyncCounts } from '../../sync/sync-outcome.js';
import { serializeAccount, upsertAccounts } from './accounts.js';
import type { ProductSyncContext, RegistryEntry } from './registry-entry.js';

type LiabilityKind = 'credit' | 'mortgage' | 'student';

function liabilityRecords(response: LiabilitiesGetResponse) {
  const records: { account_id: string; kind: LiabilityKind; detail: unknown }[] = [];
  for (const kind of ['credit', 'mortgage', 'student'] as const) {
    for (const detail of response.liabilities[kind] ?? []) {
      if (detail.account_id) records.push({ account_id: detail.account_id, kind, detail });
    }
  }
  return records;
}

export async function syncLiabilities(ctx: ProductSyncContext): Promise<SyncCounts> {
  const response = await ctx.call('/liabilities/get', (config) => ctx.plaid.liabilitiesGet({ access_token: ctx.accessToken }, config));
  await ctx.pageFetched(1);
  const records = liabilityRecords(response);
  const withLiability = new Set(records.map((r) => r.account_id));

  return ctx.commit(async (tx) => {
    const itemId = ctx.item.id;
    const accounts = await upsertAccounts(tx, {
      itemId,
      userId: ctx.item.userId,
      product: 'liabilities',
      accounts: response.accounts,
      insertable: (account) => withLiability.has(account.account_id),
    });
    const payload = JSON.stringify(records);
    const returned = JSON.stringify(response.accounts.map((a) => a.account_id));
    // A returned account that no longer has a liability (paid off, reclassified) loses its row.
    const deleted = await tx.execute(sql`
      delete from liabilities l
      using plaid_accounts a
      where a.id = l.account_id and a.item_id = ${itemId}
        and a.plaid_account_id in (select jsonb_array_elements_text(${returned}::jsonb))
        and a.plaid_account_id not in (select r.account_id from jsonb_to_recordset(${payload}::jsonb) as r(account_id text))
      returning 1`);
    const upserted = (await tx.execute(sql`
      insert into liabilities as l (account_id, item_id, kind, detail)
      select a.id, ${itemId}, r.kind, r.detail
      from jsonb_to_recordset(${payload}::jsonb) as r(account_id text, kind text, detail jsonb)
      join plaid_accounts a on a.plaid_account_id = r.account_id and a.item_id = ${itemId}
      on conflict (account_id) do update set kind = excluded.kind, detail = excluded.detail, updated_at = now()
      where l.item_id = excluded.item_id and (l.kind, l.detail) is distinct from (excluded.kind, excluded.detail)
      returning (xmax = 0) as inserted`)) as unknown as { inserted: boolean }[];
    // Only rows this commit changed are counted: the same answer from Plaid twice is no change.
    const added = upserted.filter((row) => row.inserted).length;
    return { pages: 1, added: added + accounts.added, modified: upserted.length - added + accounts.modified, removed: deleted.length };
  });
}

export const liabilitiesEntry: RegistryEntry = {
  product: 'liabilities',
  plaidProduct: Products.Liabilities,
  queue: 'sync-liabilities',
  // Credit cards, student loans and mortgages (every loan subtype Plaid reports them for).
  accounts: { [AccountType.Credit]: 'all', [AccountType.Loan]: 'all' },
  webhooks: ['LIABILITIES/DEFAULT_UPDATE'],
  sync: syncLiabilities,
  serializeAccount,
};
