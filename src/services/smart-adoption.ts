import { sql } from 'drizzle-orm';
import type { Executor } from './item-status.js';

export interface Adoption {
  /** The inactive account from the user's earlier (disconnected) item, now `replaced`. */
  previousAccountId: string;
  /** The new account that took over its settings. */
  accountId: string;
  /** False when the previous account had no settings to carry over. */
  settingsCopied: boolean;
}

/**
 * Smart adoption after a re-link: each of the user's `inactive` accounts at the same institution
 * that matches exactly one new account by mask, name, type and subtype (and no other inactive
 * account matches the same way) hands its settings (nickname, notes, payment status) to the new
 * account and becomes `replaced`, pointing at it. Anything ambiguous is left alone: carrying a
 * nickname to the wrong account is worse than carrying none. An account without a mask cannot be
 * told apart from its siblings, so it never matches.
 *
 * One statement, so the copy and the replacement commit together with the caller's transaction.
 */
export async function adoptInactiveAccounts(
  db: Executor,
  input: { userId: string; itemId: string; institutionId: string },
): Promise<Adoption[]> {
  const rows = await db.execute<{ previous_account_id: string; account_id: string; settings_copied: boolean }>(sql`
    with fresh as (
      select id, mask, name, type, subtype from plaid_accounts
      where item_id = ${input.itemId} and status = 'active' and mask is not null
    ),
    stale as (
      select a.id, a.mask, a.name, a.type, a.subtype
      from plaid_accounts a join plaid_items i on i.id = a.item_id
      where a.user_id = ${input.userId} and a.status = 'inactive' and a.mask is not null
        and i.institution_id = ${input.institutionId} and a.item_id <> ${input.itemId}
    ),
    fresh_keys as (
      select mask, name, type, subtype, (array_agg(id))[1] as id from fresh
      group by mask, name, type, subtype having count(*) = 1
    ),
    stale_keys as (
      select mask, name, type, subtype, (array_agg(id))[1] as id from stale
      group by mask, name, type, subtype having count(*) = 1
    ),
    pairs as (
      select s.id as previous_id, f.id as account_id
      from fresh_keys f join stale_keys s
        on s.mask = f.mask and s.name = f.name and s.type = f.type and s.subtype is not distinct from f.subtype
    ),
    copied as (
      insert into account_extended (account_id, nickname, notes, payment_status, updated_at)
      select p.account_id, e.nickname, e.notes, e.payment_status, now()
      from pairs p join account_extended e on e.account_id = p.previous_id
      on conflict (account_id) do update
        set nickname = excluded.nickname, notes = excluded.notes, payment_status = excluded.payment_status, updated_at = now()
      returning account_id
    ),
    replaced as (
      update plaid_accounts a set status = 'replaced', replaced_by = p.account_id, updated_at = now()
      from pairs p where a.id = p.previous_id
      returning a.id
    )
    select p.previous_id as previous_account_id, p.account_id,
           exists (select 1 from copied c where c.account_id = p.account_id) as settings_copied
    from pairs p
    order by p.account_id
  `);
  return [...rows].map((row) => ({ previousAccountId: row.previous_account_id, accountId: row.account_id, settingsCopied: row.settings_copied }));
}
