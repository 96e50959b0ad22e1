import type { MiddlewareHandler } from 'hono';
import { expectedOrigin } from './request-origin.js';
import { readSession, sameSecret, type AdminSession, type SessionKeys } from './admin-session.js';

export type AdminEnv = { Variables: { session: AdminSession } };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf-token';

/**
 * Refuses a state-changing request sent from another site. Browsers send `Origin` on every POST;
 * when it is missing (older browsers, some privacy settings) `Sec-Fetch-Site` still tells.
 */
export function originGuard(): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header('origin');
    const fetchSite = c.req.header('sec-fetch-site');
    const foreign =
      origin !== undefined ? origin.toLowerCase() !== expectedOrigin(c) : fetchSite !== undefined && fetchSite !== 'same-origin';
    if (foreign) return c.text('cross-site request refused', 403);
    return next();
  };
}

/** Pages redirect to the login form; htmx and other requests get 401 and an `HX-Redirect`. */
export function requireSession(keys: SessionKeys): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const session = await readSession(c, keys);
    if (session) {
      c.set('session', session);
      return next();
    }
    if (c.req.method === 'GET' && c.req.header('hx-request') === undefined) return c.redirect('/admin/login', 303);
    c.header('HX-Redirect', '/admin/login');
    return c.text('login required', 401);
  };
}

/** The session's CSRF token must come back in a header, which a cross-site form cannot set. */
export function csrfGuard(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const token = c.req.header(CSRF_HEADER);
    if (token === undefined || !sameSecret(token, c.get('session').csrfToken)) return c.text('missing or invalid CSRF token', 403);
    return next();
  };
}
