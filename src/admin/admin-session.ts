import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { Keyring } from '../vault/keyring.js';
import { isSecureRequest } from './request-origin.js';

export const SESSION_COOKIE = 'plaid_admin_session';
export const SESSION_TTL_SECONDS = 8 * 60 * 60;

export interface AdminSession {
  id: string;
  expiresAt: number;
  csrfToken: string;
}

export interface SessionKeys {
  cookieSecret: Buffer;
  csrfSecret: Buffer;
}

/**
 * Sessions are signed, expiring cookies, so every instance sharing the same configuration accepts
 * them without a shared store. The keys mix the encryption key (high entropy, so a stolen cookie
 * cannot be used to guess the password offline) with the admin password (so changing the
 * password logs everyone out).
 */
export function deriveSessionKeys(keyring: Keyring, adminPassword: string): SessionKeys {
  const derive = (purpose: string) =>
    createHmac('sha256', keyring.current.key).update(`plaid-sync admin ${purpose} v1\0${adminPassword}`).digest();
  return { cookieSecret: derive('session'), csrfSecret: derive('csrf') };
}

function csrfTokenFor(keys: SessionKeys, sessionId: string): string {
  return createHmac('sha256', keys.csrfSecret).update(sessionId).digest('base64url');
}

function cookieOptions(c: Context) {
  return { path: '/admin', httpOnly: true, sameSite: 'Strict' as const, secure: isSecureRequest(c) };
}

export async function startSession(c: Context, keys: SessionKeys, now = Date.now()): Promise<AdminSession> {
  const id = randomBytes(18).toString('base64url');
  const expiresAt = Math.floor(now / 1000) + SESSION_TTL_SECONDS;
  await setSignedCookie(c, SESSION_COOKIE, `${expiresAt}.${id}`, keys.cookieSecret, {
    ...cookieOptions(c),
    maxAge: SESSION_TTL_SECONDS,
  });
  return { id, expiresAt, csrfToken: csrfTokenFor(keys, id) };
}

/** The session the request carries, or undefined when it is missing, forged or expired. */
export async function readSession(c: Context, keys: SessionKeys, now = Date.now()): Promise<AdminSession | undefined> {
  const value = await getSignedCookie(c, keys.cookieSecret, SESSION_COOKIE);
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{16,64})$/.exec(value);
  if (!match) return undefined;
  const expiresAt = Number(match[1]);
  // Max-Age only asks the browser to forget the cookie; the signed expiry is what is enforced.
  if (expiresAt * 1000 <= now) return undefined;
  const id = match[2]!;
  return { id, expiresAt, csrfToken: csrfTokenFor(keys, id) };
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
}

export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
