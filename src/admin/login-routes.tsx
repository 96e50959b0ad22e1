import { createHash, timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AdminDeps } from './admin-deps.js';
import { readForm } from '../http/form-body.js';
import { LoginPage } from '../../views/login-page.js';
import type { AdminSessions } from './admin-session.js';
import type { LoginLimiter } from './login-limiter.js';

/** The socket's peer. Behind a proxy every client shares its address, which makes the limit stricter, never looser. */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function passwordMatches(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, so the comparison time says nothing about the password.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function loginRoutes(deps: AdminDeps, sessions: AdminSessions, limiter: LoginLimiter) {
  const simulator = deps.config.plaid.env === 'simulator';
  return new Hono()
    .get('/login', async (c) => {
      if (await sessions.read(c)) return c.redirect('/admin/items', 303);
      return c.html(<LoginPage simulator={simulator} />);
    })
    .post('/login', async (c) => {
      const client = clientAddress(c);
      // The attempt is counted before the password is looked at, so parallel guesses cannot slip through.
      const verdict = await limiter.attempt(client);
      if (!verdict.allowed) {
        c.header('Retry-After', String(verdict.retryAfterSeconds));
        deps.logger.warn({ client, scope: verdict.scope }, 'admin_login_rate_limited');
        return c.html(
          <LoginPage simulator={simulator} error={`Too many failed attempts. Try again in ${Math.ceil(verdict.retryAfterSeconds / 60)} min.`} />,
          429,
        );
      }
      // A body that is not a urlencoded form reads as empty: a failed attempt, not a 500.
      const form = await readForm(c, deps.config.adminMaxFormFields);
      const password = form.get('password') ?? '';
      if (!passwordMatches(password, deps.config.adminPassword)) {
        deps.logger.warn({ client }, 'admin_login_failed');
        return c.html(<LoginPage simulator={simulator} error="Wrong password." />, 401);
      }
      await limiter.succeeded(client);
      await sessions.start(c);
      deps.logger.info({ client }, 'admin_login');
      return c.redirect('/admin/items', 303);
    });
}
