/** Success statuses the /api routes answer with (errors come from typed errors, see src/http/errors.ts). */
export const OK = 200;
export const CREATED = 201;
