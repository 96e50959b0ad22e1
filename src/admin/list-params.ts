import { z } from 'zod';
import { PRODUCTS } from '../db/schema/index.js';

/** Status filters: the item statuses, active items with an error, and the two conditions operators act on before they bite. */
export const STATUS_FILTERS = ['active', 'needs_reauth', 'disconnected', 'error', 'pending_disconnect', 'new_accounts'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

/**
 * Sortable columns. `last_sync` orders by the oldest of an item's per-product last successful syncs
 * (`plaid_items.stalest_success_at`), a product never synced counting as oldest: ascending puts the
 * stalest items first.
 */
export const SORT_KEYS = ['institution', 'user', 'status', 'last_sync', 'created'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export const PAGE_SIZE = 50;

const blankToUndefined = (value: unknown) => (value === '' ? undefined : value);

/** Query-string parameters of the items list; anything malformed falls back to the default view. */
export const listParamsSchema = z.object({
  status: z.preprocess(blankToUndefined, z.enum(STATUS_FILTERS).optional()).catch(undefined),
  product: z.preprocess(blankToUndefined, z.enum(PRODUCTS).optional()).catch(undefined),
  // PostgreSQL text cannot hold NUL: such a search would fail in the query instead of finding nothing.
  q: z.preprocess(blankToUndefined, z.string().trim().max(200).refine((q) => !q.includes('\u0000')).optional()).catch(undefined),
  sort: z.enum(SORT_KEYS).catch('status'),
  dir: z.enum(['asc', 'desc']).catch('asc'),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export type ListParams = z.infer<typeof listParamsSchema>;

/** The query string for a list view, leaving out defaults so URLs stay short and shareable. */
export function listQueryString(params: ListParams, change: Partial<ListParams> = {}): string {
  const merged = { ...params, ...change };
  const search = new URLSearchParams();
  if (merged.status) search.set('status', merged.status);
  if (merged.product) search.set('product', merged.product);
  if (merged.q) search.set('q', merged.q);
  if (merged.sort !== 'status') search.set('sort', merged.sort);
  if (merged.dir !== 'asc') search.set('dir', merged.dir);
  if (merged.page !== 1) search.set('page', String(merged.page));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
