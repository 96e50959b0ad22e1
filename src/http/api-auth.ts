import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { UnauthorizedError, ValidationError } from './errors.js';

export interface ApiUser {
  /** The app's id for the end user; every query is scoped to it. */
  id: string;
}

export type ApiEnv = { Variables: { user: ApiUser; requestId: string } };

const userIdSchema = z.uuid();

// Hashing both sides first gives equal-length inputs, so the comparison time says nothing about
// the token's length or its first differing byte.
const digest = (value: string) => createHash('sha256').update(value).digest();

export function tokenMatches(presented: string, accepted: readonly Buffer[]): boolean {
  const candidate = digest(presented);
  let match = false;
  for (const token of accepted) match = timingSafeEqual(candidate, token) || match;
  return match;
}

/**
 * App authentication: `Authorization: Bearer <token from API_TOKENS>` and `X-User-Id: <uuid>`.
 * The token proves the caller is the app; the user id scopes every query that follows.
 */
export function apiAuth(apiTokens: readonly string[]): MiddlewareHandler<ApiEnv> {
  const accepted = apiTokens.map(digest);
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match || !tokenMatches(match[1]!, accepted)) throw new UnauthorizedError('a valid API token is required');
    const userId = c.req.header('x-user-id');
    const parsed = userIdSchema.safeParse(userId);
    if (!parsed.success) throw new ValidationError(userId === undefined ? 'X-User-Id: header is required' : 'X-User-Id: must be a UUID');
    c.set('user', { id: parsed.data.toLowerCase() });
    await next();
  };
}
