/**
 * Accounts as every product sees them: balances from whatever Plaid endpoint returned them, written
 * set-based, and the account's REST shape.
 */
import { sql } from 'drizzle-orm';
import type { AccountBalance, AccountBase } from 'plaid';
import type { Product } from '../../db/schema/products.js';
import type { Executor } from '../../services/item-status.js';
import type { AccountRow, SerializedAccount } from './registry-entry.js';
import { ACCOUNT_CONFLICT_UPDATE } from './upsert-clauses.js';

/** Plaid's numbers as decimal text, so they reach `numeric` columns without float arithmetic. */
export function decimal(value: number | null | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** The fields every Plaid account shape (AccountBase, InvestmentAccount) shares. */
export type PlaidAccount = Pick<AccountBase, 'account_id' | 'name' | 'official_name' | 'mask' | 'persistent_account_id'> & {
  type: string;
  subtype?: string | null;
  balances: Pick<AccountBalance, 'available' | 'current' | 'limit' | 'iso_currency_code' | 'unofficial_currency_code'>;
};

/** An account as the `jsonb` records the upserts read (`jsonb_to_recordset`). */
export function accountRecord(account: PlaidAccount) {
  return {
    plaid_account_id: account.account_id,
    name: account.name,
    official_name: account.official_name ?? null,
    mask: account.mask ?? null,
    type: String(account.type),
    subtype: account.subtype === null || account.subtype === undefined ? null : String(account.subtype),
    available: decimal(account.balances.available),
    current: decimal(account.balances.current),
    credit_limit: decimal(account.balances.limit),
    iso_currency_code: account.balances.iso_currency_code ?? null,
    unofficial_currency_code: account.balances.unofficial_currency_code ?? null,
    persistent_account_id: account.persistent_account_id ?? null,
  };
}

export interface UpsertAccountsInput {
  itemId: string;
  userId: string;
  /** Product given to accounts this item did not have yet (Plaid only returns accounts the user shared). */
  product: Product;
  accounts: readonly PlaidAccount[];
  /** Which returned accounts may be added when missing (default all); the rest only refresh. */
  insertable?: (account: PlaidAccount) => boolean;
}

/** Accounts a run wrote: new ones, and stored ones whose Plaid-owned fields (names, balances...) changed. */
export interface AccountChanges {
  added: number;
  modified: number;
}

// The fields Plaid owns, compared before and after the upsert: a refresh that changes none of them
// is not a change the app needs to hear about (`balances_updated_at` still moves, see below).
const OWNED_FIELDS = sql.raw(`name, official_name, mask, type, subtype, balance_available, balance_current, balance_limit,
  iso_currency_code, unofficial_currency_code, persistent_account_id`);

/**
 * One statement for all returned accounts: balances and names refresh, accounts not stored yet are
 * added under the run's product. Product and status of existing accounts are never touched here, and
 * an account id owned by another item is left alone. Every refreshed row gets `balances_updated_at`
 * (the time the balances were last confirmed); the answer counts only real changes, read from the
 * statement's own snapshot of the rows before it wrote (`stored`). Runs inside the caller's
 * transaction (its statements are sent together, on that transaction's connection).
 */
export async function upsertAccounts(tx: Executor, input: UpsertAccountsInput): Promise<AccountChanges> {
  if (input.accounts.length === 0) return { added: 0, modified: 0 };
  const insertable = input.insertable ?? (() => true);
  const records = JSON.stringify(input.accounts.map((account) => ({ ...accountRecord(account), insertable: insertable(account) })));
  // The statement's plan is generic and kept per connection (and the one-page write forces generic
  // plans for the rest of its transaction), made once at whatever size plaid_accounts has then.
  // Planned on a small table with the planner's guess of 100 returned accounts, the stored rows were
  // read by a sequential scan of the whole table into a hash, kept while the table grew: 16-28 ms a
  // call in a drain of thousands of syncs. So the stored copy of each returned account is one probe
  // of the unique index (a lateral subquery kept apart from the join by `offset 0`), and sequential
  // scans are off while this statement is planned.
  const [, rows] = await Promise.all([
    tx.execute(sql`set local enable_seqscan = off`),
    tx.execute<{ added: number; modified: number }>(sql`
    with incoming as (
      select * from jsonb_to_recordset(${records}::jsonb) as r(
        plaid_account_id text, name text, official_name text, mask text, type text, subtype text,
        available text, current text, credit_limit text, iso_currency_code text, unofficial_currency_code text,
        persistent_account_id text, insertable boolean
      )
    ),
    stored as (
      select r.plaid_account_id, s.owned
      from incoming r
      cross join lateral (
        select (${OWNED_FIELDS}) as owned from plaid_accounts a where a.plaid_account_id = r.plaid_account_id offset 0
      ) as s
    ),
    written as (
      insert into plaid_accounts as a (
        item_id, user_id, plaid_account_id, product, name, official_name, mask, type, subtype,
        balance_available, balance_current, balance_limit, iso_currency_code, unofficial_currency_code,
        persistent_account_id, balances_updated_at
      )
      select ${input.itemId}::uuid, ${input.userId}::uuid, r.plaid_account_id, ${input.product}, r.name, r.official_name,
        r.mask, r.type, r.subtype, r.available::numeric, r.current::numeric, r.credit_limit::numeric,
        r.iso_currency_code, r.unofficial_currency_code, r.persistent_account_id, now()
      from incoming r
      where r.insertable or r.plaid_account_id in (select plaid_account_id from stored)
      ${ACCOUNT_CONFLICT_UPDATE}
      returning a.plaid_account_id, (xmax = 0) as inserted, (${OWNED_FIELDS}) as owned
    )
    -- A row the upsert updated was stored under this item (the conflict clause's condition), so the
    -- stored copy it is compared with needs no item condition.
    select count(*) filter (where w.inserted)::int as added,
      count(*) filter (where not w.inserted and w.owned is distinct from b.owned)::int as modified
    from written w left join stored b on b.plaid_account_id = w.plaid_account_id`),
    tx.execute(sql`set local enable_seqscan to default`),
  ]);
  return rows[0] ?? { added: 0, modified: 0 };
}

/** The REST shape shared by every product; products add their own fields. */
export function serializeAccount(account: AccountRow): SerializedAccount {
  return {
    id: account.id,
    item_id: account.itemId,
    product: account.product,
    status: account.status,
    name: account.name,
    official_name: account.officialName,
    mask: account.mask,
    type: account.type,
    subtype: account.subtype,
    balances: {
      available: account.balanceAvailable,
      current: account.balanceCurrent,
      limit: account.balanceLimit,
      iso_currency_code: account.isoCurrencyCode,
      unofficial_currency_code: account.unofficialCurrencyCode,
      updated_at: account.balancesUpdatedAt?.toISOString() ?? null,
    },
  };
}
