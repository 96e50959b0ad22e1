import { AppError } from '../http/errors.js';
import { classifyPlaidError, type ClassifiedPlaidError } from './errors.js';

/**
 * A Plaid call made on behalf of an API request failed. The client sees Plaid's error code and
 * request id (so support can trace it), never the SDK error, which carries the Plaid secret.
 */
export class PlaidRequestError extends AppError {
  constructor(readonly plaid: ClassifiedPlaidError) {
    const [status, code, message] = describe(plaid);
    super(status, code, message, { plaid_error_code: plaid.code, plaid_request_id: plaid.requestId ?? null });
  }
}

function describe(plaid: ClassifiedPlaidError): [422 | 502 | 503, string, string] {
  // The public token is the only Plaid input that comes from the app; everything else is ours.
  if (plaid.code === 'INVALID_PUBLIC_TOKEN') return [422, 'invalid_public_token', 'the public token is invalid or expired'];
  if (plaid.kind === 'transient') return [503, 'plaid_unavailable', `Plaid is unavailable (${plaid.code}); try again later`];
  return [502, 'plaid_error', `Plaid rejected the request (${plaid.code})`];
}

/** Runs one Plaid call; a failure becomes a `PlaidRequestError` the error handler can answer with. */
export async function callPlaid<T>(call: () => Promise<{ data: T }>): Promise<T> {
  try {
    return (await call()).data;
  } catch (error) {
    throw new PlaidRequestError(classifyPlaidError(error));
  }
}
