import type { MiddlewareHandler } from 'hono';
import type { PublicOrigin } from '../config/public-origins.js';
import { originAllowed } from '../http/host-allow-list.js';
import { expectedOrigin } from './request-origin.js';
import { sameSecret, type AdminSession, type AdminSessions } from './admin-session.js';

export type AdminEnv = { Variables: { session: AdminSession } };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf-token';

/**
 * Refuses a state-changing request sent from another site. Browsers send `Origin` on every POST;
 * it must be one of the public origins and this request's own (a page on another loopback port is
 * not). When it is missing (older browsers, some privacy settings) `Sec-Fetch-Site` still tells.
 */
export function originGuard(origins: readonly PublicOrigin[]): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header('origin')?.toLowerCase();
    const fetchSite = c.req.header('sec-fetch-site');
    const foreign =
      origin !== undefined
        ? !originAllowed(origins, origin) || origin !== expectedOrigin(c)
        : fetchSite !== undefined && fetchSite !== 'same-origin';
    if (foreign) return c.text('cross-site request refused', 403);
    return next();
  };
}

/** Pages redirect to the login form; htmx and other requests get 401 and an `HX-Redirect`. */
export function requireSession(sessions: AdminSessions): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const session = await sessions.read(c);
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
