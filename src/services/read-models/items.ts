import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { isProduct, plaidItems, PRODUCTS, type Product } from '../../db/schema/index.js';
import { actionFor, type ItemRow } from '../item-access.js';
import type { Executor } from '../item-status.js';
import type { ItemRecord, ProductSyncState } from './schemas.js';

/** Plaid warns 7 days ahead (PENDING_EXPIRATION, PENDING_DISCONNECT); the app gets the same lead. */
export const CONSENT_WARNING_DAYS = 7;
const WARNING_MS = CONSENT_WARNING_DAYS * 24 * 60 * 60 * 1000;

interface RawSyncState {
  enabled: boolean;
  in_progress: boolean;
  state: ProductSyncState['state'];
  state_code: string | null;
  last_succeeded_at: string | null;
  last_error: { code: string; message: string | null; at: string } | null;
}

const iso = (value: string | null) => (value === null ? null : new Date(value).toISOString());

// Columns are qualified by hand: drizzle leaves them bare in a one-table select, where they would
// resolve to the subquery's own tables.
/**
 * Per product of the item, one json object: whether the service syncs it (the rule of
 * `itemSyncProducts`, plus not disconnected), a running run, its wait state, the last success and
 * the newest failure. Correlated subqueries on `sync_runs_item_product_started_idx` and the one-running index,
 * so it costs a few index probes per item.
 */
const syncStateJson: SQL<Record<Product, RawSyncState>> = sql`(
  select json_object_agg(p.product, json_build_object(
    'enabled', plaid_items.status <> 'disconnected' and not (p.product = any(plaid_items.unsupported_products))
      and p.product = any(plaid_items.entitled_products),
    'in_progress', exists (
      select 1 from sync_runs r where r.item_id = plaid_items.id and r.product = p.product and r.status = 'running'),
    'state', case when p.product = any(plaid_items.unsupported_products) then 'unsupported' else coalesce(s.state, 'ok') end,
    'state_code', case when p.product = any(plaid_items.unsupported_products) then 'PRODUCTS_NOT_SUPPORTED' else s.state_code end,
    'last_succeeded_at', s.last_succeeded_at,
    'last_error', (
      select json_build_object('code', r.error_code, 'message', r.error_message, 'at', coalesce(r.finished_at, r.started_at))
      from sync_runs r where r.item_id = plaid_items.id and r.product = p.product and r.status = 'failed'
      order by r.started_at desc limit 1)))
  from unnest(${sql.raw(`array[${PRODUCTS.map((p) => `'${p}'`).join(', ')}]`)}::text[]) as p(product)
  left join sync_state s on s.item_id = plaid_items.id and s.product = p.product
)`;

function syncStateOf(raw: RawSyncState): ProductSyncState {
  return {
    enabled: raw.enabled,
    in_progress: raw.in_progress,
    state: raw.state,
    state_code: raw.state_code,
    last_succeeded_at: iso(raw.last_succeeded_at),
    last_error: raw.last_error && { code: raw.last_error.code ?? 'UNKNOWN', message: raw.last_error.message, at: iso(raw.last_error.at)! },
  };
}

/** An item as the API shows it: never the access token, in any form. `now` decides `consent_expiring`. */
export function itemRecord(item: ItemRow, sync: Record<Product, RawSyncState>, now = new Date()): ItemRecord {
  const live = item.status !== 'disconnected';
  const expiresSoon = item.consentExpiresAt !== null && item.consentExpiresAt.getTime() - now.getTime() <= WARNING_MS;
  return {
    id: item.id,
    plaid_item_id: item.plaidItemId,
    institution_id: item.institutionId,
    institution_name: item.institutionName,
    product: item.product,
    products: item.products.filter(isProduct),
    entitled_products: item.entitledProducts.filter(isProduct),
    status: item.status,
    action: actionFor(item.status),
    error_code: item.errorCode,
    new_accounts_available: live && item.newAccountsAvailable,
    consent_expires_at: item.consentExpiresAt?.toISOString() ?? null,
    pending_disconnect_at: item.pendingDisconnectAt?.toISOString() ?? null,
    consent_expiring: live && (expiresSoon || item.pendingDisconnectAt !== null),
    sync: Object.fromEntries(PRODUCTS.map((product) => [product, syncStateOf(sync[product])])) as Record<Product, ProductSyncState>,
    created_at: item.createdAt.toISOString(),
    updated_at: item.updatedAt.toISOString(),
    disconnected_at: item.disconnectedAt?.toISOString() ?? null,
  };
}

async function selectItems(db: Executor, where: SQL | undefined): Promise<ItemRecord[]> {
  const rows = await db
    .select({ item: plaidItems, sync: syncStateJson })
    .from(plaidItems)
    .where(where)
    .orderBy(desc(plaidItems.createdAt), desc(plaidItems.id));
  const now = new Date();
  return rows.map((row) => itemRecord(row.item, row.sync, now));
}

/** The user's items among `ids`, with their per-product sync state, in one query; newest first. */
export function loadItems(db: Executor, input: { userId: string; ids: readonly string[] }): Promise<ItemRecord[]> {
  if (input.ids.length === 0) return Promise.resolve([]);
  return selectItems(db, and(eq(plaidItems.userId, input.userId), inArray(plaidItems.id, [...input.ids])));
}

/** Every item of the user, newest first. */
export function loadUserItems(db: Executor, input: { userId: string }): Promise<ItemRecord[]> {
  return selectItems(db, eq(plaidItems.userId, input.userId));
}
