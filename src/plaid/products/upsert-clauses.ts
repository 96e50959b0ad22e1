import { sql } from 'drizzle-orm';

/**
 * How a stored account takes a newer copy from Plaid: every field Plaid owns is replaced, a missing
 * `persistent_account_id` keeps the stored one, and an account id already stored under another item
 * is never taken over (`where`). For `insert into plaid_accounts as a (...)`; shared by the accounts
 * adapter and the one-page transactions write so the two cannot drift apart.
 */
export const ACCOUNT_CONFLICT_UPDATE = sql`
  on conflict (plaid_account_id) do update set
    name = excluded.name,
    official_name = excluded.official_name,
    mask = excluded.mask,
    type = excluded.type,
    subtype = excluded.subtype,
    balance_available = excluded.balance_available,
    balance_current = excluded.balance_current,
    balance_limit = excluded.balance_limit,
    iso_currency_code = excluded.iso_currency_code,
    unofficial_currency_code = excluded.unofficial_currency_code,
    persistent_account_id = coalesce(excluded.persistent_account_id, a.persistent_account_id),
    balances_updated_at = now(),
    updated_at = now()
  where a.item_id = excluded.item_id`;

/**
 * How a stored transaction takes a newer version (added or modified): every field Plaid owns is
 * replaced; a transaction id stored under another item is never taken over. For
 * `insert into plaid_transactions as t (...)`; shared by the staged merge and the one-page write.
 */
export const TRANSACTION_CONFLICT_UPDATE = sql`
  on conflict (plaid_transaction_id) do update set
    account_id = excluded.account_id,
    amount = excluded.amount,
    iso_currency_code = excluded.iso_currency_code,
    unofficial_currency_code = excluded.unofficial_currency_code,
    date = excluded.date,
    authorized_date = excluded.authorized_date,
    name = excluded.name,
    merchant_name = excluded.merchant_name,
    pending = excluded.pending,
    pending_transaction_id = excluded.pending_transaction_id,
    category_primary = excluded.category_primary,
    category_detailed = excluded.category_detailed,
    payment_channel = excluded.payment_channel,
    updated_at = now()
  where t.item_id = excluded.item_id`;
