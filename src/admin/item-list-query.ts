import type { Sql } from '../db/client.js';
import { PRODUCTS, type ItemStatus, type Product } from '../db/schema/index.js';
import { PAGE_SIZE, type ListParams } from './list-params.js';

export interface LastSync {
  product: Product;
  finishedAt: string;
}

export interface RunningSync {
  product: Product;
  startedAt: string;
  pages: number;
  added: number;
  modified: number;
  removed: number;
  /** Set while the run waits for Plaid's per-item rate limit window. */
  rateLimitedUntil: string | null;
}

export interface ItemSummary {
  id: string;
  userId: string;
  plaidItemId: string;
  institutionName: string | null;
  institutionId: string | null;
  status: ItemStatus;
  products: string[];
  /** The products the service may call for the item; others need the explicit, possibly billed, enable action. */
  entitledProducts: string[];
  errorCode: string | null;
  errorMessage: string | null;
  consentExpiresAt: Date | null;
  pendingDisconnectAt: Date | null;
  newAccountsAvailable: boolean;
  createdAt: Date;
  accountCount: number;
  lastSyncs: LastSync[];
  running: RunningSync[];
  /** When the newest run started; live progress waits for a run newer than the action that asked for it. */
  latestRunStartedAt: Date | null;
}

export interface ItemPage {
  items: ItemSummary[];
  total: number;
  page: number;
  pageCount: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Days before consent expiry from which an item counts as "pending expiration". */
export const EXPIRY_WARNING_DAYS = 7;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function filters(sql: Sql, params: ListParams) {
  const conditions = [sql`true`];
  switch (params.status) {
    case undefined:
      break;
    case 'pending_disconnect':
      conditions.push(
        sql`i.status <> 'disconnected' and (i.pending_disconnect_at is not null
          or i.consent_expires_at < now() + make_interval(days => ${EXPIRY_WARNING_DAYS}))`,
      );
      break;
    case 'new_accounts':
      conditions.push(sql`i.new_accounts_available and i.status <> 'disconnected'`);
      break;
    case 'error':
      // Active by status but broken all the same (a permanent error the status check or a sync met).
      conditions.push(sql`i.status = 'active' and i.error_code is not null`);
      break;
    default:
      conditions.push(sql`i.status = ${params.status}`);
  }
  if (params.product) conditions.push(sql`(${params.product} = any(i.products) or i.product = ${params.product})`);
  if (params.q) {
    conditions.push(
      UUID.test(params.q)
        ? sql`(i.id = ${params.q}::uuid or i.user_id = ${params.q}::uuid)`
        : sql`(i.institution_name ilike ${`%${escapeLike(params.q)}%`} or i.institution_id = ${params.q} or i.plaid_item_id = ${params.q})`,
    );
  }
  return conditions.reduce((all, condition) => sql`${all} and ${condition}`);
}

function latestStart(sql: Sql) {
  const probes = PRODUCTS.map(
    (product) => sql`(select r.started_at from sync_runs r where r.item_id = i.id and r.product = ${product} order by r.started_at desc limit 1)`,
  );
  return sql`greatest(${probes.reduce((all, probe) => sql`${all}, ${probe}`)})`;
}

function ordering(sql: Sql, params: ListParams) {
  const dir = params.dir === 'desc' ? sql`desc` : sql`asc`;
  switch (params.sort) {
    case 'last_sync':
      // `stalest_success_at` (kept by triggers, migration 0009). Ascending: never synced first, then
      // the longest since a success; descending the reverse.
      return params.dir === 'desc' ? sql`i.stalest_success_at desc nulls last, i.id` : sql`i.stalest_success_at asc nulls first, i.id`;
    case 'institution':
      return sql`i.institution_name ${dir} nulls last, i.id`;
    case 'user':
      return sql`i.user_id ${dir}, i.id`;
    case 'created':
      return sql`i.created_at ${dir}, i.id`;
    case 'status':
      // Ascending puts what needs an operator first: broken logins and active items with an error, then expiring consent.
      return sql`case i.status when 'needs_reauth' then 0 when 'active' then
          case when i.error_code is not null then 0 when i.pending_disconnect_at is not null or i.new_accounts_available then 1 else 2 end
        else 3 end ${dir}, i.institution_name nulls last, i.id`;
  }
}

type Timestamp = 'consentExpiresAt' | 'pendingDisconnectAt' | 'createdAt' | 'latestRunStartedAt';
type RawSummary = Omit<ItemSummary, Timestamp> & Record<Timestamp, string | null>;

const toDate = (value: string | null) => (value === null ? null : new Date(value));

/** The driver hands timestamps over as text (drizzle's parsers); the query selects them as ISO 8601 JSON. */
function fromRaw(row: RawSummary): ItemSummary {
  return {
    ...row,
    consentExpiresAt: toDate(row.consentExpiresAt),
    pendingDisconnectAt: toDate(row.pendingDisconnectAt),
    createdAt: new Date(row.createdAt!),
    latestRunStartedAt: toDate(row.latestRunStartedAt),
  };
}

/** Columns of one list row; the per-item subqueries run only for the rows of the page. */
function summaryColumns(sql: Sql) {
  return sql`
    i.id, i.user_id as "userId", i.plaid_item_id as "plaidItemId", i.institution_name as "institutionName",
    i.institution_id as "institutionId", i.status,
    plaid_item_listed_products(i) as products, i.entitled_products as "entitledProducts",
    i.error_code as "errorCode", i.error_message as "errorMessage", to_json(i.consent_expires_at) as "consentExpiresAt",
    to_json(i.pending_disconnect_at) as "pendingDisconnectAt", i.new_accounts_available as "newAccountsAvailable",
    to_json(i.created_at) as "createdAt",
    (select count(*)::int from plaid_accounts a where a.item_id = i.id and a.status = 'active') as "accountCount",
    coalesce((
      select json_agg(json_build_object('product', p.product, 'finishedAt', s.finished_at) order by p.product)
      from unnest(${PRODUCTS}::text[]) as p(product)
      cross join lateral (
        select r.finished_at from sync_runs r
        where r.item_id = i.id and r.product = p.product and r.status = 'succeeded'
        order by r.started_at desc limit 1
      ) s
    ), '[]'::json) as "lastSyncs",
    coalesce((
      select json_agg(json_build_object('product', r.product, 'startedAt', r.started_at, 'pages', r.pages,
        'added', r.added, 'modified', r.modified, 'removed', r.removed, 'rateLimitedUntil', r.rate_limited_until) order by r.product)
      from sync_runs r where r.item_id = i.id and r.status = 'running'
    ), '[]'::json) as "running",
    to_json(${latestStart(sql)}) as "latestRunStartedAt"`;
}

/**
 * Two steps: the page's ids are picked with only the sort key computed (a top-N sort, not a full
 * one, on early pages), then the summary columns are computed for those 50 rows and put back in
 * order. Selecting them directly would compute them for every row an OFFSET skips as well.
 */
export async function listItems(sql: Sql, params: ListParams): Promise<ItemPage> {
  const where = filters(sql, params);
  const [countRows, items] = await Promise.all([
    sql<{ total: number }[]>`select count(*)::int as total from plaid_items i where ${where}`,
    sql<RawSummary[]>`
      with page as (
        select i.id from plaid_items i where ${where}
        order by ${ordering(sql, params)}
        limit ${PAGE_SIZE} offset ${(params.page - 1) * PAGE_SIZE}
      )
      select ${summaryColumns(sql)} from page join plaid_items i on i.id = page.id
      order by ${ordering(sql, params)}`,
  ]);
  const total = countRows[0]?.total ?? 0;
  return { items: items.map(fromRaw), total, page: params.page, pageCount: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
}

export async function findItemSummary(sql: Sql, itemId: string): Promise<ItemSummary | undefined> {
  if (!UUID.test(itemId)) return undefined;
  const [row] = await sql<RawSummary[]>`select ${summaryColumns(sql)} from plaid_items i where i.id = ${itemId}::uuid`;
  return row && fromRaw(row);
}
