import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { SimulatorContext } from './context.js';
import { PlaidApiError, plaidErrors } from './plaid-errors.js';
import { PreparedJson } from './prepared-json.js';
import { unknownFields } from './unknown-fields.js';

const OK = 200;

export interface CallInfo {
  requestId: string;
  clientId: string;
}

/** A handler answers with the response object, or with one whose bulky members are serialized already. */
type Answer<Res> = Omit<Res, 'request_id'> | PreparedJson;
type Handler<Req, Res> = (request: Req, call: CallInfo) => Answer<Res> | Promise<Answer<Res>>;

/**
 * Registers one Plaid endpoint. The request schema is typed against the SDK's request type and the
 * handler against its response type, so a drift between the simulator and the SDK fails to compile.
 * Order of checks as Plaid applies them: body, credentials, rate limits, then the endpoint itself.
 */
export function plaidRoute<Req, Res extends { request_id: string }>(
  app: Hono,
  ctx: SimulatorContext,
  path: string,
  schema: z.ZodType<Req>,
  handler: Handler<Req, Res>,
): void {
  app.post(path, async (c) => {
    const requestId = ctx.nextRequestId();
    ctx.calls.record(path);
    try {
      const body = await readJson(c);
      const clientId = authenticate(c, body, ctx);
      const limited = ctx.limiter.check(path, clientId, typeof body.access_token === 'string' ? body.access_token : undefined);
      if (limited !== null) {
        ctx.faults.count(limited);
        throw plaidErrors.rateLimit(limited);
      }
      const fault = ctx.faults.decide(path);
      const signal = AbortSignal.any([c.req.raw.signal, ctx.closing.signal]);
      if (fault.latencyMs > 0) await pause(fault.latencyMs, signal);
      if (fault.error) throw fault.error;
      if (fault.holdMs > 0) await pause(fault.holdMs, signal);
      const unknown = unknownFields(schema, body);
      if (unknown.length > 0) throw plaidErrors.unknownFields(unknown);
      const parsed = schema.safeParse(body);
      if (!parsed.success) throw validationError(parsed.error, body);
      const result = await handler(parsed.data, { requestId, clientId });
      // A fresh header object each time: the node adapter adds Content-Length to the one it is given.
      if (result instanceof PreparedJson) return c.body(result.body({ request_id: requestId }), OK, { 'content-type': 'application/json' });
      return c.json({ ...result, request_id: requestId }, OK);
    } catch (error) {
      const plaidError = error instanceof PlaidApiError ? error : plaidErrors.internalServerError();
      return c.json(plaidError.toBody(requestId), plaidError.status as ContentfulStatusCode);
    }
  });
}

async function readJson(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw plaidErrors.invalidBody();
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw plaidErrors.invalidBody();
  return body as Record<string, unknown>;
}

function authenticate(c: Context, body: Record<string, unknown>, ctx: SimulatorContext): string {
  const clientId = c.req.header('PLAID-CLIENT-ID') ?? (typeof body.client_id === 'string' ? body.client_id : undefined);
  const secret = c.req.header('PLAID-SECRET') ?? (typeof body.secret === 'string' ? body.secret : undefined);
  if (clientId === undefined || secret === undefined) throw plaidErrors.invalidApiKeys();
  if (!sameText(clientId, ctx.options.clientId) || !sameText(secret, ctx.options.secret)) throw plaidErrors.invalidApiKeys();
  return clientId;
}

function sameText(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function validationError(error: z.ZodError, body: Record<string, unknown>): PlaidApiError {
  const missing = error.issues.filter((issue) => valueAt(body, issue.path) === undefined).map((issue) => issue.path.join('.'));
  if (missing.length > 0) return plaidErrors.missingFields(missing);
  const first = error.issues[0];
  return plaidErrors.invalidField(first ? `${first.path.join('.')}: ${first.message}` : 'invalid request');
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Waits ms of real time; an aborted request or a closing simulator ends the wait early. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
