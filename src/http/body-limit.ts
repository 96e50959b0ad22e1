import type { MiddlewareHandler } from 'hono';
import { hasRequestBody, readRawBody } from './raw-body.js';

const BODILESS_METHODS = new Set(['GET', 'HEAD']);

/**
 * Reads every request body before any route sees it, counting bytes as they arrive and answering
 * 413 at the first byte past the limit, so no parser (JSON, forms, zod) ever holds more than the
 * limit. It is the webhook's bounded reader, not hono's `bodyLimit`: that one does stop reading
 * (node itself never delivers more than a declared Content-Length), but it counts a chunked body
 * through a WHATWG stream built around node's, answers with its own plain-text 413, and lets a
 * client's abort surface as a stream error; `readRawBody` counts on node's stream and tells an
 * abort apart. The unread rest of a refused upload is discarded by `@hono/node-server` (at most
 * 64 MiB or 500 ms, then the socket is closed), never buffered.
 *
 * `maxBytesFor` returns `undefined` for a route that reads its own body under its own limit (the
 * webhook, whose signature covers the raw bytes).
 */
export function requestBodyLimit(maxBytesFor: (path: string) => number | undefined): MiddlewareHandler {
  return async (c, next) => {
    const maxBytes = maxBytesFor(c.req.path);
    if (maxBytes === undefined || !hasRequestBody(c)) return next();
    const body = await readRawBody(c, maxBytes);
    // The routes parse from the bytes already read; a GET's body is read (bounded) only to be dropped.
    if (!BODILESS_METHODS.has(c.req.method)) c.req.raw = new Request(c.req.raw, { body });
    return next();
  };
}
