import { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv } from '../../http/api-auth.js';
import { ValidationError } from '../../http/errors.js';
import { describeIssues } from '../../http/validation.js';

/**
 * A router for `/api` routes. Routes are declared with `createRoute` so the zod schemas that
 * validate a request also describe it in `/api/openapi.json`; a validation failure becomes the
 * standard 422 error.
 */
export function createApiRouter() {
  return new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new ValidationError(describeIssues(result.error.issues));
    },
  });
}

export type ApiRouter = ReturnType<typeof createApiRouter>;
