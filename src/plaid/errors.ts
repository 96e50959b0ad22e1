import { isAxiosError } from 'axios';
import type { PlaidError } from 'plaid';

/** What the service does about a failed Plaid call, decided once, here. */
export type PlaidErrorKind =
  /** Worth retrying with backoff: rate limits, Plaid or institution outages, timeouts. */
  | 'transient'
  /** Restart the `/transactions/sync` pagination from the run's starting cursor. */
  | 'restart_pagination'
  /** The user must act (update mode): the item needs re-authentication. */
  | 'needs_reauth'
  /** The item is gone or its consent revoked: disconnect with soft delete. */
  | 'revoked'
  /** The item does not support the product; the product is marked unsupported, the item stays. */
  | 'product_unsupported'
  /** The item has no accounts this product reads (NO_INVESTMENT_ACCOUNTS, ...): the product waits, the item stays. */
  | 'product_no_accounts'
  /** The user did not consent to this product at Link: the product waits for consent, the item stays. */
  | 'consent_required'
  /** Plaid is still extracting the product's data: the product waits for the readiness webhook. */
  | 'not_ready'
  /** Anything else: fatal for this run, the item status unchanged. */
  | 'fatal';

export interface ClassifiedPlaidError {
  kind: PlaidErrorKind;
  /** Plaid's `error_code`, or a local code for failures without a Plaid body (`TIMEOUT`, `NETWORK_ERROR`). */
  code: string;
  type: string | undefined;
  httpStatus: number | undefined;
  /** Plaid's developer message; safe to log (it never carries credentials). */
  message: string;
  requestId: string | undefined;
}

const TRANSIENT_CODES = new Set([
  'INTERNAL_SERVER_ERROR',
  'PLANNED_MAINTENANCE',
  'INSTITUTION_DOWN',
  'INSTITUTION_NOT_RESPONDING',
  'INSTITUTION_NO_LONGER_SUPPORTED_TEMPORARILY',
  'TIMEOUT',
  'NETWORK_ERROR',
]);

const KIND_BY_CODE: Record<string, PlaidErrorKind> = {
  TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION: 'restart_pagination',
  ITEM_LOGIN_REQUIRED: 'needs_reauth',
  ITEM_NOT_FOUND: 'revoked',
  USER_PERMISSION_REVOKED: 'revoked',
  PRODUCTS_NOT_SUPPORTED: 'product_unsupported',
  PRODUCT_NOT_ENABLED: 'product_unsupported',
  NO_INVESTMENT_ACCOUNTS: 'product_no_accounts',
  NO_INVESTMENT_AUTH_ACCOUNTS: 'product_no_accounts',
  NO_LIABILITY_ACCOUNTS: 'product_no_accounts',
  // The item has no open or eligible account at all (closed, unselected in account selection). From a
  // product endpoint the product waits; the item's own error (`itemErrorEffect`) asks for update mode.
  NO_ACCOUNTS: 'product_no_accounts',
  ADDITIONAL_CONSENT_REQUIRED: 'consent_required',
  // The user did not grant (or revoked) the OAuth or data permission this product needs: like missing
  // consent, the product waits and update mode asks again.
  ACCESS_NOT_GRANTED: 'consent_required',
  PRODUCT_NOT_READY: 'not_ready',
  CREDITS_EXHAUSTED: 'fatal',
};

/** What a recorded error code means, for a failure known only by its code (another process's run row). */
export function kindOfCode(code: string): PlaidErrorKind | undefined {
  return KIND_BY_CODE[code];
}

/**
 * Item-level errors (`/item/get`'s `item.error`, an ITEM `ERROR` webhook) that the user fixes in Link's
 * update mode (plaid-reference.md, "Sync-relevant error table"): the login, a permission not granted,
 * no eligible account left.
 */
const UPDATE_MODE_CODES = new Set(['ITEM_LOGIN_REQUIRED', 'ACCESS_NOT_GRANTED', 'NO_ACCOUNTS']);

/**
 * What an item-level error means for the item's status: `needs_reauth` (action `fix`, update mode),
 * `revoked` (disconnected) or `other` (recorded on the item, whose status stays).
 */
export function itemErrorEffect(code: string): 'needs_reauth' | 'revoked' | 'other' {
  if (UPDATE_MODE_CODES.has(code)) return 'needs_reauth';
  return KIND_BY_CODE[code] === 'revoked' ? 'revoked' : 'other';
}

function kindOf(code: string, type: string | undefined, status: number | undefined): PlaidErrorKind {
  const mapped = KIND_BY_CODE[code];
  if (mapped) return mapped;
  if (type === 'RATE_LIMIT_EXCEEDED' || status === 429) return 'transient';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  if (status !== undefined && status >= 500) return 'transient';
  return 'fatal';
}

/**
 * Reads a Plaid SDK (axios) failure without ever touching `error.config`, which holds the Plaid
 * secret in its headers. Only `error.response.data` fields are kept.
 */
export function classifyPlaidError(error: unknown): ClassifiedPlaidError {
  if (isAxiosError(error)) {
    const data = error.response?.data as Partial<PlaidError> | undefined;
    if (data && typeof data.error_code === 'string') {
      const status = error.response?.status;
      return {
        kind: kindOf(data.error_code, data.error_type, status),
        code: data.error_code,
        type: data.error_type,
        httpStatus: status,
        message: typeof data.error_message === 'string' ? data.error_message : 'Plaid error',
        requestId: typeof data.request_id === 'string' ? data.request_id : undefined,
      };
    }
    if (!error.response) {
      const timedOut = error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT';
      const code = timedOut ? 'TIMEOUT' : 'NETWORK_ERROR';
      return { kind: 'transient', code, type: undefined, httpStatus: undefined, message: timedOut ? 'Plaid request timed out' : 'could not reach Plaid', requestId: undefined };
    }
    const status = error.response.status;
    return { kind: status >= 500 || status === 429 ? 'transient' : 'fatal', code: `HTTP_${status}`, type: undefined, httpStatus: status, message: `Plaid answered HTTP ${status}`, requestId: undefined };
  }
  return { kind: 'fatal', code: 'UNKNOWN', type: undefined, httpStatus: undefined, message: error instanceof Error ? error.message : 'unknown error', requestId: undefined };
}
