import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { RequestIdVariables } from 'hono/request-id';
import { rawHeader } from './raw-body.js';

/** What a client may choose as its request id; anything else is replaced, never echoed or logged. */
const WELL_FORMED = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Every request gets an id for its log line, its error body and the `X-Request-Id` answer header. A
 * caller's own id is kept when well-formed, so a trace can follow it across services. hono's
 * `requestId` accepts up to 255 characters including `=`; this keeps ids short and free of anything
 * that could pass for structure in a log line.
 */
export function requestId(): MiddlewareHandler<{ Variables: RequestIdVariables }> {
  return async (c, next) => {
    // node's parsed headers: `c.req.header` would build a WHATWG `Headers` of the whole request first.
    const offered = rawHeader(c, 'x-request-id');
    const id = offered !== undefined && WELL_FORMED.test(offered) ? offered : randomUUID();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  };
}
