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

  /**
   * An API error answer. `causes` is left out: Plaid fills it only for Asset and Check Report
   * errors, which the simulator does not have.
   */
  toBody(requestId: string): PlaidError {
    return {
      error_type: this.errorType,
      error_code: this.errorCode,
      error_code_reason: null,
      error_message: this.message,
      display_message: this.displayMessage,
      request_id: requestId,
      documentation_url: documentationUrl(this.errorType, this.errorCode),
      suggested_action: null,
    };
  }

  /** The Item's error as `/item/get` and product responses show it: no `status` (webhooks only), no `request_id`. */
  toItemError(): PlaidError {
    return {
      error_type: this.errorType,
      error_code: this.errorCode,
      error_code_reason: null,
      error_message: this.message,
      display_message: this.displayMessage,
      documentation_url: documentationUrl(this.errorType, this.errorCode),
      suggested_action: null,
    };
  }

  /** The shape inside webhook payloads: `status` present, no `request_id` (Plaid's webhook examples). */
  toWebhookError(): PlaidError {
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

/** The error reference page Plaid links to, one per error type. */
const DOC_PAGE: Partial<Record<PlaidErrorType, string>> = {
  [PlaidErrorType.ItemError]: 'item',
  [PlaidErrorType.InstitutionError]: 'institution',
  [PlaidErrorType.ApiError]: 'api',
  [PlaidErrorType.InvalidRequest]: 'invalid-request',
  [PlaidErrorType.InvalidInput]: 'invalid-input',
  [PlaidErrorType.RateLimitExceeded]: 'rate-limit-exceeded',
  [PlaidErrorType.TransactionsError]: 'transactions',
  [PlaidErrorType.SandboxError]: 'sandbox',
};

function documentationUrl(type: PlaidErrorType, code: string): string {
  const page = DOC_PAGE[type];
  return page === undefined ? 'https://plaid.com/docs/errors/' : `https://plaid.com/docs/errors/${page}/#${code.toLowerCase()}`;
}

/** Plaid's error_message for a rate limit names the Item, except on the client-wide institutions limits. */
const INSTITUTION_LIMITS = new Set(['INSTITUTIONS_GET_LIMIT', 'INSTITUTIONS_GET_BY_ID_LIMIT']);

const T = PlaidErrorType;

export const plaidErrors = {
  invalidApiKeys: () =>
    new PlaidApiError(400, T.InvalidInput, 'INVALID_API_KEYS', 'invalid client_id or secret provided'),
  invalidBody: () =>
    new PlaidApiError(400, T.InvalidRequest, 'INVALID_BODY', 'body could not be parsed as JSON'),
  missingFields: (fields: string[]) =>
    new PlaidApiError(400, T.InvalidRequest, 'MISSING_FIELDS', `the following required fields are missing: ${fields.join(', ')}`),
  unknownFields: (fields: string[]) =>
    new PlaidApiError(400, T.InvalidRequest, 'UNKNOWN_FIELDS', `the following fields are not recognized by this endpoint: ${fields.join(', ')}`),
  invalidProduct: (products: string[]) =>
    new PlaidApiError(400, T.InvalidInput, 'INVALID_PRODUCT', `client is not authorized to access the following products: ${JSON.stringify(products)}`),
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
    new PlaidApiError(400, T.ItemError, 'ITEM_NOT_FOUND', 'The Item you requested cannot be found. This Item does not exist, has been previously removed via /item/remove, or has had access removed by the user.'),
  itemLoginRequired: () =>
    new PlaidApiError(400, T.ItemError, 'ITEM_LOGIN_REQUIRED', "the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state"),
  /** The API answers INVALID_INPUT (error reference); the ITEM webhook carries ITEM_ERROR (webhook reference). */
  userPermissionRevoked: (errorType: PlaidErrorType = T.InvalidInput) =>
    new PlaidApiError(400, errorType, 'USER_PERMISSION_REVOKED', 'the holder of this account has revoked their permission for your application to access it'),
  productsNotSupported: (products: string[]) =>
    new PlaidApiError(400, T.ItemError, 'PRODUCTS_NOT_SUPPORTED', `the following products are not supported by this institution or Item: ${products.join(', ')}`),
  noInvestmentAccounts: () =>
    new PlaidApiError(400, T.ItemError, 'NO_INVESTMENT_ACCOUNTS', 'no valid investment accounts were found for this item', 'No investment accounts were found at this institution.'),
  noLiabilityAccounts: () =>
    new PlaidApiError(400, T.ItemError, 'NO_LIABILITY_ACCOUNTS', 'no valid liability accounts were found for this item', 'No liability accounts were found at this institution.'),
  /** Item-level: no open or eligible account left (closed, or unselected in account selection). */
  noAccounts: () =>
    new PlaidApiError(400, T.ItemError, 'NO_ACCOUNTS', 'no valid accounts were found for this item', "No valid accounts were found at the financial institution. Please visit your financial institution's website to confirm accounts are available."),
  /** The user did not grant (or revoked) the permission the product needs (Plaid's sample answer). */
  accessNotGranted: () =>
    new PlaidApiError(400, T.ItemError, 'ACCESS_NOT_GRANTED', 'access to this product was not granted for the account', 'The user did not grant the necessary permissions for this product on their account.'),
  productNotReady: () =>
    new PlaidApiError(400, T.ItemError, 'PRODUCT_NOT_READY', 'the requested product is not yet ready. please provide a webhook or try the request again later'),
  additionalConsentRequired: (product: string) =>
    new PlaidApiError(400, T.ItemError, 'ADDITIONAL_CONSENT_REQUIRED', `client does not have user consent to access the ${product} product for this Item`),
  sandboxProductNotEnabled: (product: string) =>
    new PlaidApiError(400, T.SandboxError, 'SANDBOX_PRODUCT_NOT_ENABLED', `the ${product} product is not enabled on this Item`),
  sandboxWebhookInvalid: (message: string) =>
    new PlaidApiError(400, T.SandboxError, 'SANDBOX_WEBHOOK_INVALID', message),
  mutationDuringPagination: () =>
    new PlaidApiError(400, T.TransactionsError, 'TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION', 'Underlying transaction data changed since last page was fetched. Please restart pagination from last update.'),
  rateLimit: (code: string) =>
    new PlaidApiError(429, T.RateLimitExceeded, code, INSTITUTION_LIMITS.has(code)
      ? 'rate limit exceeded for attempts to access "institutions get by id". please try again later'
      : 'rate limit exceeded for attempts to access this item. please try again later'),
  internalServerError: () =>
    new PlaidApiError(500, T.ApiError, 'INTERNAL_SERVER_ERROR', 'an unexpected error occurred'),
  plannedMaintenance: () =>
    new PlaidApiError(503, T.ApiError, 'PLANNED_MAINTENANCE', 'the Plaid API is temporarily unavailable due to planned maintenance. visit https://status.plaid.com/ for more information'),
  institutionDown: () =>
    new PlaidApiError(400, T.InstitutionError, 'INSTITUTION_DOWN', 'this institution is not currently responding to this request. please try again soon', 'This financial institution is not currently responding to requests. We apologize for the inconvenience.'),
};
