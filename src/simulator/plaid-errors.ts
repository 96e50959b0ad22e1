import { PlaidErrorType } from './plaid-enums.js';
import type { PlaidError } from 'plaid';

/** Thrown anywhere in a handler; the app turns it into Plaid's error body and HTTP status. */
export class PlaidApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: PlaidErrorType,
    readonly errorCode: string,
    message: string,
    readonly displayMessage: string | null = null,
  ) {
    super(message);
    this.name = 'PlaidApiError';
  }

  toBody(requestId: string): PlaidError {
    return {
      error_type: this.errorType,
      error_code: this.errorCode,
      error_code_reason: null,
      error_message: this.message,
      display_message: this.displayMessage,
      request_id: requestId,
      causes: [],
      documentation_url: `https://plaid.com/docs/errors/`,
      suggested_action: null,
    };
  }

  /** The shape Plaid puts inside webhooks and /item/get: `status` present, no `request_id`. */
  toItemError(): PlaidError {
    return {
      error_type: this.errorType,
      error_code: this.errorCode,
      error_code_reason: null,
      error_message: this.message,
      display_message: this.displayMessage,
      status: this.status,
    };
  }
}

const T = PlaidErrorType;

export const plaidErrors = {
  invalidApiKeys: () =>
    new PlaidApiError(400, T.InvalidInput, 'INVALID_API_KEYS', 'invalid client_id or secret provided'),
  invalidBody: () =>
    new PlaidApiError(400, T.InvalidRequest, 'INVALID_BODY', 'body could not be parsed as JSON'),
  missingFields: (fields: string[]) =>
    new PlaidApiError(400, T.InvalidRequest, 'MISSING_FIELDS', `the following required fields are missing: ${fields.join(', ')}`),
  invalidField: (message: string) => new PlaidApiError(400, T.InvalidRequest, 'INVALID_FIELD', message),
  notFound: () => new PlaidApiError(404, T.InvalidRequest, 'NOT_FOUND', 'the requested resource was not found'),
  invalidAccessToken: () =>
    new PlaidApiError(400, T.InvalidInput, 'INVALID_ACCESS_TOKEN', 'provided access token is in an invalid format. expected format: access-<environment>-<identifier>'),
  invalidPublicToken: (message = 'provided public token is expired or has already been exchanged') =>
    new PlaidApiError(400, T.InvalidInput, 'INVALID_PUBLIC_TOKEN', message),
  invalidLinkToken: (message = 'provided link token is expired or invalid') =>
    new PlaidApiError(400, T.InvalidInput, 'INVALID_LINK_TOKEN', message),
  invalidInstitution: () =>
    new PlaidApiError(400, T.InvalidInput, 'INVALID_INSTITUTION', 'invalid institution_id provided'),
  invalidAccountId: () =>
    new PlaidApiError(400, T.InvalidInput, 'INVALID_ACCOUNT_ID', 'one or more of the account IDs is invalid'),
  invalidWebhookKeyId: () =>
    new PlaidApiError(400, T.InvalidInput, 'INVALID_WEBHOOK_VERIFICATION_KEY_ID', 'invalid key_id provided'),
  itemNotFound: () =>
    new PlaidApiError(400, T.ItemError, 'ITEM_NOT_FOUND', 'the Item you requested cannot be found. This Item does not exist, has been previously removed via /item/remove, or has had access removed by the user'),
  itemLoginRequired: () =>
    new PlaidApiError(400, T.ItemError, 'ITEM_LOGIN_REQUIRED', "the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state", "the login details of this item have changed. please update them and try again."),
  userPermissionRevoked: () =>
    new PlaidApiError(400, T.InvalidInput, 'USER_PERMISSION_REVOKED', 'the user has revoked access to this Item', 'The user revoked access to this Item.'),
  productsNotSupported: (products: string[]) =>
    new PlaidApiError(400, T.ItemError, 'PRODUCTS_NOT_SUPPORTED', `the following products are not supported by this institution or Item: ${products.join(', ')}`),
  additionalConsentRequired: (product: string) =>
    new PlaidApiError(400, T.ItemError, 'ADDITIONAL_CONSENT_REQUIRED', `client does not have user consent to access the ${product} product for this Item`),
  sandboxProductNotEnabled: (product: string) =>
    new PlaidApiError(400, T.SandboxError, 'SANDBOX_PRODUCT_NOT_ENABLED', `the ${product} product is not enabled on this Item`),
  sandboxWebhookInvalid: (message: string) =>
    new PlaidApiError(400, T.SandboxError, 'SANDBOX_WEBHOOK_INVALID', message),
  mutationDuringPagination: () =>
    new PlaidApiError(400, T.TransactionsError, 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION', 'Underlying transaction data changed since last page was fetched. Please restart pagination from last update.'),
  rateLimit: (code: string) =>
    new PlaidApiError(429, T.RateLimitExceeded, code, 'rate limit exceeded for attempts to access this item. please try again later'),
  internalServerError: () =>
    new PlaidApiError(500, T.ApiError, 'INTERNAL_SERVER_ERROR', 'an unexpected error occurred', 'Something went wrong. Please try again later.'),
  plannedMaintenance: () =>
    new PlaidApiError(503, T.ApiError, 'PLANNED_MAINTENANCE', 'the Plaid API is temporarily unavailable due to planned maintenance', 'Please try again later.'),
  institutionDown: () =>
    new PlaidApiError(400, T.InstitutionError, 'INSTITUTION_DOWN', 'this institution is not currently responding to this request. please try again soon', 'This financial institution is not currently responding to requests. We apologize for the inconvenience.'),
};
