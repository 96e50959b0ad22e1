import { z } from '@hono/zod-openapi';

/** Query fields shared by the paged lists: one page of `limit` rows after `cursor`. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ param: { name: 'limit', in: 'query' }, example: 50 }),
  cursor: z.string().min(1).max(512).optional().openapi({ param: { name: 'cursor', in: 'query' }, description: '`next_cursor` of the previous page' }),
};

/** Inclusive date filters on the row's date (the posting date Plaid reports). */
export const dateQuery = {
  start_date: z.iso.date().optional().openapi({ param: { name: 'start_date', in: 'query' }, description: 'Only rows on or after this day', example: '2026-01-01' }),
  end_date: z.iso.date().optional().openapi({ param: { name: 'end_date', in: 'query' }, description: 'Only rows on or before this day', example: '2026-12-31' }),
};

/** A date range the other way round is a mistake worth saying, not an empty page. */
export function checkDateRange(query: { start_date?: string | undefined; end_date?: string | undefined }, ctx: z.RefinementCtx) {
  if (query.start_date !== undefined && query.end_date !== undefined && query.start_date > query.end_date) {
    ctx.addIssue({ code: 'custom', path: ['end_date'], message: 'must not be before start_date' });
  }
}

/**
 * A query parameter that may be sent several times (`?account_id=a&account_id=b`). Hono hands one
 * value as a string and several as an array; both become an array here.
 */
export function repeatable<T extends z.ZodType>(item: T, name: string, description: string) {
  return z
    .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(item).min(1).max(50))
    .optional()
    .openapi({ param: { name, in: 'query', style: 'form', explode: true }, description });
}

/** `true` or `false` as a query parameter. */
export function booleanQuery(name: string, description: string) {
  return z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .openapi({ param: { name, in: 'query' }, description });
}
