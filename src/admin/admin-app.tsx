import { Hono } from 'hono';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AdminDeps } from './admin-deps.js';
import { AppError } from '../http/errors.js';
import { hostAllowed, hostGuard } from '../http/host-allow-list.js';
import { ErrorPage } from '../../views/error-page.js';
import { Flash } from '../../views/layout.js';
import { csrfGuard, originGuard, requireSession, type AdminEnv } from './admin-guards.js';
import { adminOperations, type AdminOperations } from './admin-operations.js';
import { AdminSessions, deriveSessionSecrets } from './admin-session.js';
import { backfillRoutes } from './backfill-routes.js';
import { itemActionRoutes } from './item-action-routes.js';
import { itemRoutes } from './item-routes.js';
import { LoginLimiter } from './login-limiter.js';
import { loginRoutes } from './login-routes.js';
import { simulatorRoutes } from './simulator-routes.js';
import { staticRoutes } from './static-assets.js';
import { notificationRoutes } from './notification-routes.js';
import { webhookRoutes } from './webhook-routes.js';
import { errorLogFields } from '../error-log-fields.js';

const SELF = ["'self'"];

/** Only this origin, no inline script or style, no framing: htmx and the stylesheet are served from here. */
export const adminSecureHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: SELF,
    styleSrc: SELF,
    imgSrc: SELF,
    connectSrc: SELF,
    formAction: SELF,
    baseUri: ["'none'"],
    frameAncestors: ["'none'"],
  },
  referrerPolicy: 'same-origin',
  crossOriginResourcePolicy: 'same-origin',
  permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
});

export interface AdminOptions {
  operations?: AdminOperations;
  limiter?: LoginLimiter;
  /** The clock sessions expire by (tests move it instead of waiting). */
  now?: () => number;
}

/**
 * `/admin`: the operator pages, answering only to the public origins' hosts, behind a session, with
 * CSRF and origin checks on every change.
 */
export function adminRoutes(deps: AdminDeps, options: AdminOptions = {}) {
  const { config } = deps;
  const secrets = deriveSessionSecrets(config.keyring, config.adminPassword);
  const sessions = new AdminSessions(deps.db, secrets, config.adminSession, options.now);
  const limiter = options.limiter ?? new LoginLimiter(deps.db, config.adminLogin);
  const operations = options.operations ?? adminOperations(deps);
  const simulator = deps.config.plaid.env === 'simulator';

  const admin = new Hono<AdminEnv>();
  admin.use(hostGuard((host) => hostAllowed(config.publicOrigins, host)));
  admin.use(adminSecureHeaders);
  admin.use(async (c, next) => {
    await next();
    // Pages carry the CSRF token and operator data; no cache keeps them.
    if (!c.req.path.startsWith('/admin/static/')) c.header('Cache-Control', 'no-store');
  });
  admin.route('/', staticRoutes());
  admin.use(originGuard(config.publicOrigins));
  admin.route('/', loginRoutes(deps, sessions, limiter));
  admin.use(requireSession(sessions));
  admin.use(csrfGuard());
  admin.post('/logout', async (c) => {
    await sessions.end(c);
    c.header('HX-Redirect', '/admin/login');
    return c.body(null, 204);
  });
  admin.route('/', itemRoutes(deps, operations));
  admin.route('/', itemActionRoutes(deps, operations));
  admin.route('/', webhookRoutes(deps, operations));
  admin.route('/', notificationRoutes(deps));
  admin.route('/', backfillRoutes(deps, operations));
  admin.route('/', simulatorRoutes(deps, operations));
  admin.all('*', (c) => renderError(c, 404, 'No such page.'));

  function renderError(c: Context<AdminEnv>, status: ContentfulStatusCode, message: string) {
    if (c.req.header('hx-request') !== undefined) {
      // An htmx action shows its failure in the flash area, leaving the fragment it targeted alone.
      c.header('HX-Retarget', '#flash');
      c.header('HX-Reswap', 'outerHTML');
      return c.html(<Flash tone="error" message={message} oob={false} />, status);
    }
    const requestId = c.get('requestId' as never) as string | undefined;
    return c.html(<ErrorPage status={status} message={message} csrfToken={c.var.session?.csrfToken} simulator={simulator} requestId={requestId} />, status);
  }

  admin.onError((error, c) => {
    if (error instanceof AppError) return renderError(c, error.status, error.message);
    if (error instanceof HTTPException) return renderError(c, 422, error.message || 'bad request');
    deps.logger.error({ ...errorLogFields(error), requestId: c.get('requestId' as never) }, 'admin_error');
    return renderError(c, 500, 'Internal error; the details are in the service log.');
  });

  return admin;
}
