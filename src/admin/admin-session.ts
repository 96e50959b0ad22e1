import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, lt, ne, or } from 'drizzle-orm';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Database } from '../db/client.js';
import { adminSessions } from '../db/schema/index.js';
import type { Keyring } from '../vault/keyring.js';
import { isSecureRequest } from './request-origin.js';

export const SESSION_COOKIE = 'plaid_admin_session';

export interface AdminSession {
  csrfToken: string;
}

export interface SessionPolicy {
  idleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
}

/** 32 random bytes in base64url: the whole cookie value. */
const TOKEN_SYNTAX = /^[A-Za-z0-9_-]{43}$/;

/**
 * Secrets derived from the encryption key (high entropy, never stored in the database): the CSRF
 * key, and a fingerprint of the admin password that sessions are stored under, so that a changed
 * password matches no stored session and a copy of the table cannot be used to guess the password.
 */
export function deriveSessionSecrets(keyring: Keyring, adminPassword: string) {
  const derive = (purpose: string) =>
    createHmac('sha256', keyring.current.key).update(`plaid-sync admin ${purpose} v2\0${adminPassword}`).digest();
  return { csrfSecret: derive('csrf'), passwordFingerprint: derive('password').toString('base64url') };
}

export type SessionSecrets = ReturnType<typeof deriveSessionSecrets>;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function cookieOptions(c: Context) {
  return { path: '/admin', httpOnly: true, sameSite: 'Strict' as const, secure: isSecureRequest(c) };
}

/**
 * Sessions stored in PostgreSQL, so every instance sees a logout, a password change or an expiry at
 * once. A session ends after `idleTimeoutSeconds` without a request or `absoluteTimeoutSeconds` after
 * login, whichever comes first.
 */
export class AdminSessions {
  /** Activity is written at most this often per session, so polling pages do not write on every request. */
  private readonly touchAfterMs: number;

  constructor(
    private readonly db: Database,
    private readonly secrets: SessionSecrets,
    private readonly policy: SessionPolicy,
    private readonly now: () => number = Date.now,
  ) {
    this.touchAfterMs = Math.min(60, policy.idleTimeoutSeconds / 10) * 1000;
  }

  private csrfTokenFor(idHash: string): string {
    return createHmac('sha256', this.secrets.csrfSecret).update(idHash).digest('base64url');
  }

  /** Opens a session and sets its cookie; sessions that have ended are pruned on the way. */
  async start(c: Context): Promise<AdminSession> {
    const token = randomBytes(32).toString('base64url');
    const idHash = hashToken(token);
    const now = new Date(this.now());
    await this.prune(now);
    await this.db.insert(adminSessions).values({ idHash, passwordFingerprint: this.secrets.passwordFingerprint, createdAt: now, lastSeenAt: now });
    setCookie(c, SESSION_COOKIE, token, { ...cookieOptions(c), maxAge: this.policy.absoluteTimeoutSeconds });
    return { csrfToken: this.csrfTokenFor(idHash) };
  }

  /** The session the request's cookie names, or undefined when it is missing, unknown, revoked or expired. */
  async read(c: Context): Promise<AdminSession | undefined> {
    const token = getCookie(c, SESSION_COOKIE);
    if (token === undefined || !TOKEN_SYNTAX.test(token)) return undefined;
    const idHash = hashToken(token);
    const now = this.now();
    const [row] = await this.db
      .select({ lastSeenAt: adminSessions.lastSeenAt })
      .from(adminSessions)
      .where(
        and(
          eq(adminSessions.idHash, idHash),
          eq(adminSessions.passwordFingerprint, this.secrets.passwordFingerprint),
          gt(adminSessions.createdAt, new Date(now - this.policy.absoluteTimeoutSeconds * 1000)),
          gt(adminSessions.lastSeenAt, new Date(now - this.policy.idleTimeoutSeconds * 1000)),
        ),
      );
    if (!row) return undefined;
    if (now - row.lastSeenAt.getTime() >= this.touchAfterMs) {
      await this.db.update(adminSessions).set({ lastSeenAt: new Date(now) }).where(eq(adminSessions.idHash, idHash));
    }
    return { csrfToken: this.csrfTokenFor(idHash) };
  }

  /** Revokes the request's session in the database (every instance) and clears its cookie. */
  async end(c: Context): Promise<void> {
    const token = getCookie(c, SESSION_COOKIE);
    if (token !== undefined && TOKEN_SYNTAX.test(token)) await this.db.delete(adminSessions).where(eq(adminSessions.idHash, hashToken(token)));
    deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
  }

  /** Deletes sessions that can no longer be used: expired, idle too long, or opened under another password. */
  private async prune(now: Date): Promise<void> {
    const time = now.getTime();
    await this.db
      .delete(adminSessions)
      .where(
        or(
          lt(adminSessions.createdAt, new Date(time - this.policy.absoluteTimeoutSeconds * 1000)),
          lt(adminSessions.lastSeenAt, new Date(time - this.policy.idleTimeoutSeconds * 1000)),
          ne(adminSessions.passwordFingerprint, this.secrets.passwordFingerprint),
        ),
      );
  }
}

export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
