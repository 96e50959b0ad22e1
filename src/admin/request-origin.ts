import type { Context } from 'hono';

function firstValue(header: string | undefined): string | undefined {
  const value = header?.split(',')[0]?.trim();
  return value === '' ? undefined : value;
}

/** HTTPS directly or behind a TLS-terminating proxy that says so in `X-Forwarded-Proto`. */
export function isSecureRequest(c: Context): boolean {
  const forwarded = firstValue(c.req.header('x-forwarded-proto'));
  if (forwarded !== undefined) return forwarded.toLowerCase() === 'https';
  return new URL(c.req.url).protocol === 'https:';
}

/**
 * The origin the browser sees for this service ('' when the host cannot be read). Trusting the forwarded headers here is safe: a
 * cross-site page cannot set them on a victim's request, so they cannot make a foreign Origin match.
 */
export function expectedOrigin(c: Context): string {
  const url = new URL(c.req.url);
  const host = firstValue(c.req.header('x-forwarded-host')) ?? c.req.header('host') ?? url.host;
  try {
    // Normalised as browsers write Origin: lower case, no default port.
    return new URL(`${isSecureRequest(c) ? 'https' : 'http'}://${host}`).origin;
  } catch {
    return '';
  }
}
