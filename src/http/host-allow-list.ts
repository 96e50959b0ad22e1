import { isIP } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import type { PublicOrigin } from '../config/public-origins.js';
import { AppError } from './errors.js';

/** A Host header as browsers send it: a name or IP literal and an optional port, nothing else. */
const HOST_SYNTAX = /^(?:\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?$/i;

function parseHost(host: string, protocol: string): { hostname: string; port: string } | undefined {
  if (!HOST_SYNTAX.test(host)) return undefined;
  try {
    const url = new URL(`${protocol}//${host}`);
    return { hostname: url.hostname, port: url.port };
  } catch {
    return undefined;
  }
}

function sameHost(allowed: PublicOrigin, parsed: { hostname: string; port: string } | undefined): boolean {
  return parsed !== undefined && parsed.hostname === allowed.hostname && (allowed.port === '*' || parsed.port === allowed.port);
}

/** The Host the request names: its header, or the URL's host when a test calls the app directly. */
export function requestHost(c: Context): string {
  return c.req.header('host') ?? new URL(c.req.url).host;
}

export function hostAllowed(origins: readonly PublicOrigin[], host: string): boolean {
  return origins.some((allowed) => sameHost(allowed, parseHost(host, allowed.protocol)));
}

/** An `Origin` header naming exactly one of the public origins (scheme, host and port). */
export function originAllowed(origins: readonly PublicOrigin[], origin: string): boolean {
  const match = /^(https?:)\/\/([^/]+)$/i.exec(origin);
  if (!match) return false;
  const protocol = match[1]!.toLowerCase();
  return origins.some((allowed) => allowed.protocol === protocol && sameHost(allowed, parseHost(match[2]!, protocol)));
}

/**
 * A browser reaching an IP literal connected to that address without asking DNS, so the page that
 * sent the request was served from the same address: no rebinding is possible through it.
 */
function isIpLiteral(host: string): boolean {
  const parsed = parseHost(host, 'http:');
  return parsed !== undefined && isIP(parsed.hostname.replace(/^\[|\]$/g, '')) !== 0;
}

export function metricsHostAllowed(origins: readonly PublicOrigin[], extraHosts: readonly string[], host: string): boolean {
  if (isIpLiteral(host) || hostAllowed(origins, host)) return true;
  const parsed = parseHost(host, 'http:');
  if (!parsed) return false;
  return extraHosts.some((allowed) => allowed === parsed.hostname || allowed === `${parsed.hostname}:${parsed.port}`);
}

export class HostNotAllowedError extends AppError {
  constructor() {
    super(421, 'host_not_allowed', 'this service does not answer to that host name');
  }
}

/** Refuses requests whose Host is not one this surface answers to (DNS rebinding). */
export function hostGuard(allowed: (host: string) => boolean): MiddlewareHandler {
  return async (c, next) => {
    if (!allowed(requestHost(c))) throw new HostNotAllowedError();
    return next();
  };
}
