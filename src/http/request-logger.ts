import type { MiddlewareHandler } from 'hono';
import type { RequestIdVariables } from 'hono/request-id';
import type { Logger } from '../logger.js';
import { RequestAbortedError } from './errors.js';

/** One log line per request, with its id; never headers or bodies. */
export function requestLogger(logger: Logger): MiddlewareHandler<{ Variables: RequestIdVariables }> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    const status = c.res.status;
    const line = { requestId: c.get('requestId'), method: c.req.method, path: c.req.path, status, durationMs };
    // A client hanging up mid-upload is its own doing: an info line, never an error with a stack.
    if (c.error instanceof RequestAbortedError) logger.info({ ...line, aborted: true }, 'request');
    else if (status >= 500) logger.error(line, 'request');
    else logger.info(line, 'request');
  };
}
