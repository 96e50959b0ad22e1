import { z } from '@hono/zod-openapi';
import { isStorableText } from '../../db/storable-text.js';

/**
 * Text a client sends that the service stores: a NUL or an unpaired surrogate is refused (422), not
 * silently changed, so what the client reads back is what it sent.
 */
export const storableString = () => z.string().refine(isStorableText, 'must not contain NUL characters or unpaired UTF-16 surrogates');

/** The one error shape (see src/http/errors.ts), as documented. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'not_found' }),
      message: z.string().openapi({ example: 'item not found' }),
      requestId: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi('Error');

const errorDescriptions = {
  401: 'Missing or wrong API token',
  404: 'Not found, or not the caller’s',
  409: 'Conflicts with the current state (see `error.code`)',
  410: 'The cursor is older than the changes kept (`cursor_expired`): rebuild from a snapshot',
  415: 'The body is not JSON',
  422: 'Invalid input, including a missing or malformed `X-User-Id`',
  502: 'Plaid refused the request (`error.details.plaid_error_code`)',
  503: 'Plaid is temporarily unavailable; try again later',
} as const;

type ErrorStatus = keyof typeof errorDescriptions;

/** Error responses for a route; 401 and 422 apply to every route (authentication and `X-User-Id`). */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  const all = [...new Set<ErrorStatus>([401, 422, ...statuses])];
  return Object.fromEntries(
    all.map((status) => [status, { description: errorDescriptions[status], content: { 'application/json': { schema: ErrorSchema } } }]),
  ) as Record<S | 401 | 422, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }>;
}

/** The end user every query is scoped to; checked by the authentication middleware. */
export const UserHeaders = z.object({
  'x-user-id': z.uuid().openapi({ description: 'The app’s id of the end user', example: '2f1c8e8e-8d2b-4a57-9a4e-3c7a1f0b9d11' }),
});

export const IdParams = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' }, example: '6a1f3d4e-2b9c-4f7a-8e5d-1c2b3a4d5e6f' }),
});

// The record shapes live with their loaders (every reader of records shares them).
export { AccountSchema, ItemSchema, ItemWithAccountsSchema, ProductSchema, SettingsSchema } from '../../services/read-models/index.js';
