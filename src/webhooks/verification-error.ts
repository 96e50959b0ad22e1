/** Why a delivery's `Plaid-Verification` did not prove it came from Plaid; a metric label. */
export type VerificationFailure =
  | 'missing_header'
  | 'malformed'
  | 'algorithm'
  | 'unknown_key'
  | 'expired_key'
  | 'signature'
  | 'stale'
  | 'body_hash';

export class WebhookVerificationError extends Error {
  constructor(readonly reason: VerificationFailure) {
    super(`webhook verification failed: ${reason}`);
    this.name = 'WebhookVerificationError';
  }
}

/** The key could not be fetched for a reason other than "no such key" (Plaid down, timeout). */
export class VerificationKeyUnavailableError extends Error {
  constructor(readonly code: string) {
    super(`webhook verification key unavailable: ${code}`);
    this.name = 'VerificationKeyUnavailableError';
  }
}
