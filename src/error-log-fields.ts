import { DrizzleQueryError } from 'drizzle-orm/errors';
import postgres from 'postgres';
import { classifyPlaidError } from './plaid/errors.js';
import { PlaidCallError } from './providers/plaid/plaid-call.js';

/**
 * What a log line may say about an error. A database error is reduced to its SQLSTATE and the
 * objects it names, a Plaid error to its code, type, status and request id: the messages of both can
 * quote values (drizzle's "Failed query: … params: …" carries every bound parameter, PostgreSQL's
 * "invalid input syntax …" and `detail` quote the value, Plaid's developer message can echo a field),
 * and those values are bank data, tokens or what a user typed.
 */
export interface ErrorLogFields {
  name: string;
  message?: string;
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  schema?: string;
  plaidErrorCode?: string;
  plaidErrorType?: string;
  plaidStatus?: number;
  plaidRequestId?: string;
  /** Stack frames only: the first line of a stack repeats the message. */
  stack?: string;
}

/** An error of a kind not known here keeps this much of its message (enough to recognise it). */
const MAX_MESSAGE = 200;
/** Causes followed looking for the database or Plaid error under a wrapper. */
const MAX_CAUSES = 5;

function frames(error: Error): string | undefined {
  const start = error.stack?.indexOf('\n    at ') ?? -1;
  return start >= 0 ? error.stack!.slice(start + 1) : undefined;
}

function databaseFields(error: postgres.PostgresError): Omit<ErrorLogFields, 'name'> {
  return {
    code: error.code,
    ...(error.constraint_name ? { constraint: error.constraint_name } : {}),
    ...(error.table_name ? { table: error.table_name } : {}),
    ...(error.column_name ? { column: error.column_name } : {}),
    ...(error.schema_name ? { schema: error.schema_name } : {}),
  };
}

function causesOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length <= MAX_CAUSES) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/**
 * The one place that decides what of an error reaches the log: every `logger.*({ ...errorLogFields(e) })`
 * goes through here, so a new kind of error needs one rule, not a review of every call site.
 */
export function errorLogFields(error: unknown): { err: ErrorLogFields } {
  const chain = causesOf(error);
  const top = error instanceof Error ? error : undefined;
  const name = top?.name ?? typeof error;
  const stack = top ? frames(top) : undefined;
  const withStack = (fields: ErrorLogFields) => ({ err: stack ? { ...fields, stack } : fields });

  const database = chain.find((link): link is postgres.PostgresError => link instanceof postgres.PostgresError);
  if (database) return withStack({ name: top instanceof DrizzleQueryError ? 'DrizzleQueryError' : name, ...databaseFields(database) });
  // A failed query without a server error under it (the connection went away): the query and its
  // parameters stay out, whatever the cause says about the connection is kept.
  if (top instanceof DrizzleQueryError) {
    const cause = top.cause;
    const code = (cause as { code?: unknown } | undefined)?.code;
    return withStack({ name: 'DrizzleQueryError', ...(typeof code === 'string' ? { code } : {}), ...(cause ? { message: `cause: ${cause.name}` } : {}) });
  }

  const plaid = chain.find((link) => link instanceof PlaidCallError || (link instanceof Error && 'isAxiosError' in link));
  if (plaid) {
    const classified = plaid instanceof PlaidCallError ? plaid.plaid : classifyPlaidError(plaid);
    return withStack({
      name,
      plaidErrorCode: classified.code,
      ...(classified.type ? { plaidErrorType: classified.type } : {}),
      ...(classified.httpStatus !== undefined ? { plaidStatus: classified.httpStatus } : {}),
      ...(classified.requestId ? { plaidRequestId: classified.requestId } : {}),
    });
  }

  const message = top ? top.message : String(error);
  const code = (top as { code?: unknown } | undefined)?.code;
  return withStack({ name, message: message.slice(0, MAX_MESSAGE), ...(typeof code === 'string' ? { code } : {}) });
}

/** The same facts as one line, for places that store an error's text (a failed job's output). */
export function errorSummary(error: unknown): string {
  const { err } = errorLogFields(error);
  const facts = Object.entries(err)
    .filter(([key]) => key !== 'name' && key !== 'stack' && key !== 'message')
    .map(([key, value]) => `${key}=${String(value)}`);
  return [err.name, err.message, ...facts].filter(Boolean).join(' ');
}
