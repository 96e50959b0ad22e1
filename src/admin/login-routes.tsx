import { createHash, timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AdminDeps } from './admin-deps.js';
import { readForm } from '../http/form-body.js';
import { LoginPage } from '../../views/login-page.js';
import { readSession, startSession, type SessionKeys } from './admin-session.js';
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

export function loginRoutes(deps: AdminDeps, keys: SessionKeys, limiter: LoginLimiter) {
  const simulator = deps.config.plaid.env === 'simulator';
  return new Hono()
    .get('/login', async (c) => {
      if (await readSession(c, keys)) return c.redirect('/admin/items', 303);
      return c.html(<LoginPage simulator={simulator} />);
    })
    .post('/login', async (c) => {
      const client = clientAddress(c);
      const wait = limiter.retryAfter(client);
      if (wait > 0) {
        c.header('Retry-After', String(wait));
        deps.logger.warn({ client }, 'admin_login_rate_limited');
        return c.html(<LoginPage simulator={simulator} error={`Too many failed attempts. Try again in ${Math.ceil(wait / 60)} min.`} />, 429);
      }
      // A body that is not a urlencoded form reads as empty: a failed attempt, not a 500.
      const form = await readForm(c, deps.config.adminMaxFormFields);
      const password = form.get('password') ?? '';
      if (!passwordMatches(password, deps.config.adminPassword)) {
        limiter.recordFailure(client);
        deps.logger.warn({ client }, 'admin_login_failed');
        return c.html(<LoginPage simulator={simulator} error="Wrong password." />, 401);
      }
      limiter.recordSuccess(client);
      await startSession(c, keys);
      deps.logger.info({ client }, 'admin_login');
      return c.redirect('/admin/items', 303);
    });
}
