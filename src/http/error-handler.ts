import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../logger.js';
import { AppError, type ErrorBody } from './errors.js';
import { errorLogFields } from '../error-log-fields.js';

function body(c: Context, code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  const requestId = (c.get('requestId') as string | undefined) ?? 'unknown';
  return { error: { code, message, requestId, ...(details ? { details } : {}) } };
}

export function errorHandler(logger: Logger) {
  return (error: Error, c: Context) => {
    if (error instanceof AppError) {
      return c.json(body(c, error.code, error.message, error.details), error.status);
    }
    if (error instanceof HTTPException) {
      const status = error.status;
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'bad_request';
      return c.json(body(c, code, error.message || 'bad request'), status);
    }
    // Internal details stay in the log; the client gets a generic message and the request id.
    logger.error({ ...errorLogFields(error), requestId: c.get<string>('requestId') }, 'unhandled_error');
    return c.json(body(c, 'internal_error', 'internal server error'), 500);
  };
}

export function notFoundHandler(c: Context) {
  return c.json(body(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`), 404);
}
