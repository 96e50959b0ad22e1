import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An error a client may see: its code, message and status are part of the API. */
export class AppError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(422, 'validation_failed', message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(what = 'resource') {
    super(404, 'not_found', `${what} not found`);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(409, code, message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'authentication required') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'forbidden') {
    super(403, 'forbidden', message);
  }
}

/** The one shape of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; requestId: string; details?: Record<string, unknown> };
}

/**
 * The client went away before its request body arrived whole. Nobody reads the answer; it is told
 * apart from server errors so that anyone able to open a socket cannot inflate the 5xx figures.
 */
export class RequestAbortedError extends AppError {
  constructor() {
    super(400, 'request_aborted', 'the request body ended before it was complete');
  }
}
