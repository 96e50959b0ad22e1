import type { Context, MiddlewareHandler } from 'hono';
import type { RequestIdVariables } from 'hono/request-id';
import type { Logger } from '../logger.js';
import { RequestAbortedError } from './errors.js';

/** Probes, scrapes and assets: asked for on a timer or with every page, and rarely worth a line. */
const ROUTINE_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/favicon.ico']);

/** The fragments an admin page polls (`src/admin/live-progress.ts`): an item's row and live panel. */
const ADMIN_POLL_PATH = /^\/admin\/items\/[^/]+\/(row|live)$/;

/** A request no person made: a probe or scrape, a static asset, or a fragment a page polls on its own. */
export function isRoutineRequest(c: Context): boolean {
  const path = c.req.path;
  if (ROUTINE_PATHS.has(path) || path.startsWith('/admin/static/')) return true;
  if (c.req.method !== 'GET' || c.req.header('HX-Request') !== 'true') return false;
  // The list's idle poll names the version it shows (`v`); a person's search or filter does not.
  return ADMIN_POLL_PATH.test(path) || (path === '/admin/items' && c.req.query('v') !== undefined);
}

/**
 * One log line per request, with its id; never headers or bodies. Routine requests log at debug, so
 * the terminal at `info` shows what people and apps did; a server error logs at error whatever it was.
 */
export function requestLogger(logger: Logger): MiddlewareHandler<{ Variables: RequestIdVariables }> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    const status = c.res.status;
    const line = { requestId: c.get('requestId'), method: c.req.method, path: c.req.path, status, durationMs };
    // A client hanging up mid-upload is its own doing: an info line, never an error with a stack.
    // A 503 from /readyz is the probe's answer (starting, draining, database down), not a failure of the request.
    const probeAnswer = status === 503 && c.req.path === '/readyz';
    if (c.error instanceof RequestAbortedError) logger.info({ ...line, aborted: true }, 'request');
    else if (status >= 500 && !probeAnswer) logger.error(line, 'request');
    else if (isRoutineRequest(c)) logger.debug(line, 'request');
    else logger.info(line, 'request');
  };
}
