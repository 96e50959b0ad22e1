/**
 * The write of a transactions run whose update fits in one `/transactions/sync` page (most
 * webhook-driven runs). The page is already in memory, so staging it (a COPY on a connection of its
 * own, a merge reading it back, a delete afterwards) would only add round trips and row writes: one
 * statement upserts the returned accounts, applies the page's events straight from a `jsonb`
 * parameter with the same rules as the staged merge, and moves the cursor by compare-and-set.
 */
import { sql } from 'drizzle-orm';
import type { AccountBase, TransactionsSyncResponse } from 'plaid';
import type { Executor } from '../../services/item-status.js';
import { STAGED_KIND } from '../../sync/transaction-staging.js';
import { accountRecord } from './accounts.js';
import { ACCOUNT_CONFLICT_UPDATE, TRANSACTION_CONFLICT_UPDATE } from './upsert-clauses.js';

export interface PageWrite {
  itemId: string;
  userId: string;
  /** The cursor the run started from; the write only happens while the item still has it. */
  start: string | null;
  /** The page's cursor: the new stored position. */
  cursor: string | null;
  /** A re-pull from scratch: rows of the item the page does not list are deleted. */
  fromScratch: boolean;
}

type Page = Pick<TransactionsSyncResponse, 'added' | 'modified' | 'removed'> & { accounts: readonly AccountBase[] };

/** The page's events in Plaid's order (added, modified, removed), numbered so the latest per id wins. */
export function pageEvents(page: Page): object[] {
  const events: object[] = [];
  const event = (kind: number, t: TransactionsSyncResponse['added'][number]) => ({
    seq: events.length, kind, transaction_id: t.transaction_id, account_id: t.account_id,
    // Plaid's decimal as text (the shortest text that reads back as the same number): no float maths.
    amount: t.amount === null || t.amount === undefined ? null : String(t.amount),
    iso_currency_code: t.iso_currency_code ?? null, unofficial_currency_code: t.unofficial_currency_code ?? null,
    date: t.date, authorized_date: t.authorized_date ?? null, name: t.name, merchant_name: t.merchant_name ?? null,
    pending: t.pending ?? null, pending_transaction_id: t.pending_transaction_id ?? null,
    category_primary: t.personal_finance_category?.primary ?? null, category_detailed: t.personal_finance_category?.detailed ?? null,
    payment_channel: t.payment_channel ?? null,
  });
  for (const t of page.added) events.push(event(STAGED_KIND.added, t));
  for (const t of page.modified) events.push(event(STAGED_KIND.modified, t));
  for (const r of page.removed) events.push({ seq: events.length, kind: STAGED_KIND.removed, transaction_id: r.transaction_id, account_id: r.account_id ?? null });
  return events;
}

/**
 * Writes one page and moves the cursor; false when the cursor had moved (nothing is then written,
 * and the caller aborts the transaction). The accounts are written first in the statement's plan
 * but only after the engine locked the item row (the same order as the staged path).
 */
export async function writeSinglePage(tx: Executor, page: Page, write: PageWrite): Promise<boolean> {
  const accounts = JSON.stringify(page.accounts.map(accountRecord));
  const events = JSON.stringify(pageEvents(page));
  const { itemId } = write;
  // The statement keeps one (generic) plan per connection: planned with each page's values, its
  // planning cost more than a tenth of its run (pg_stat_statements over a fan-out). Sent with it,
  // in the same round trip; it holds to the end of the run's transaction.
  const [, rows] = await Promise.all([tx.execute(sql`set local plan_cache_mode = force_generic_plan`), tx.execute<{ moved: boolean }>(sql`
    with moved as (
      update plaid_items set transactions_cursor = ${write.cursor}, transactions_cursor_partial = false, updated_at = now()
      where id = ${itemId} and transactions_cursor is not distinct from ${write.start}
      returning id
    ),
    upserted_accounts as (
      insert into plaid_accounts as a (
        item_id, user_id, plaid_account_id, product, name, official_name, mask, type, subtype,
        balance_available, balance_current, balance_limit, iso_currency_code, unofficial_currency_code,
        persistent_account_id, balances_updated_at
      )
      select ${itemId}::uuid, ${write.userId}::uuid, r.plaid_account_id, 'transactions', r.name, r.official_name,
        r.mask, r.type, r.subtype, r.available::numeric, r.current::numeric, r.credit_limit::numeric,
        r.iso_currency_code, r.unofficial_currency_code, r.persistent_account_id, now()
      from jsonb_to_recordset(${accounts}::jsonb) as r(
        plaid_account_id text, name text, official_name text, mask text, type text, subtype text,
        available text, current text, credit_limit text, iso_currency_code text, unofficial_currency_code text,
        persistent_account_id text
      )
      where exists (select 1 from moved)
      ${ACCOUNT_CONFLICT_UPDATE}
      returning a.id, a.plaid_account_id
    ),
    item_accounts as (
      select id, plaid_account_id from upserted_accounts
      union all
      select id, plaid_account_id from plaid_accounts
      where item_id = ${itemId} and plaid_account_id not in (select plaid_account_id from upserted_accounts)
    ),
    latest as materialized (
      select distinct on (e.transaction_id) e.*
      from jsonb_to_recordset(${events}::jsonb) as e(
        seq int, kind smallint, transaction_id text, account_id text, amount numeric, iso_currency_code text,
        unofficial_currency_code text, date date, authorized_date date, name text, merchant_name text, pending boolean,
        pending_transaction_id text, category_primary text, category_detailed text, payment_channel text
      )
      where exists (select 1 from moved)
      order by e.transaction_id, e.seq desc
    ),
    removed as (
      delete from plaid_transactions t
      using latest l
      where l.kind = ${STAGED_KIND.removed} and t.plaid_transaction_id = l.transaction_id and t.item_id = ${itemId}
    ),
    unlisted as (
      -- A full re-pull lists every live transaction as added: anything else stored for the item is gone.
      delete from plaid_transactions t
      where ${write.fromScratch} and exists (select 1 from moved) and t.item_id = ${itemId}
        and not exists (select 1 from latest l where l.transaction_id = t.plaid_transaction_id)
    ),
    upserted as (
      insert into plaid_transactions as t (
        plaid_transaction_id, account_id, item_id, amount, iso_currency_code, unofficial_currency_code, date,
        authorized_date, name, merchant_name, pending, pending_transaction_id, category_primary, category_detailed,
        payment_channel
      )
      select l.transaction_id, a.id, ${itemId}, l.amount, l.iso_currency_code, l.unofficial_currency_code, l.date,
        l.authorized_date, l.name, l.merchant_name, coalesce(l.pending, false), l.pending_transaction_id,
        l.category_primary, l.category_detailed, l.payment_channel
      from latest l
      join item_accounts a on a.plaid_account_id = l.account_id
      where l.kind <> ${STAGED_KIND.removed}
      ${TRANSACTION_CONFLICT_UPDATE}
    )
    select exists (select 1 from moved) as moved`)]);
  return rows[0]?.moved === true;
}
