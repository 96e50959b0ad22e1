import type { WebhookOutcome } from '../db/schema/operations.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { VerificationKeyUnavailableError, WebhookVerificationError } from './verification-error.js';
import { KEY_FETCH_BUDGET_EXHAUSTED } from './verification-keys.js';
import { actionFor } from './webhook-actions.js';
import type { WebhookRecorder } from './webhook-recorder.js';
import { InvalidWebhookBodyError, parseWebhook } from './webhook-schemas.js';
import type { WebhookVerifier } from './webhook-verifier.js';

export interface WebhookIntakeDeps {
  logger: Logger;
  metrics: Pick<Metrics, 'plaidWebhooks' | 'webhookSignatureRejected'>;
  verify: WebhookVerifier;
  /** Writes the row and its inbox row (batched with concurrent deliveries); resolves after the commit. */
  recorder: Pick<WebhookRecorder, 'record'>;
  /** After a commit that asked for a job: wakes the dispatcher (`WebhookDispatcher`), which makes it. */
  notify: () => void;
  /**
   * The Plaid environment whose webhooks this service takes (`sandbox` in simulator mode, whose
   * webhooks say sandbox). A body naming another one was meant for another deployment.
   */
  environment: WebhookEnvironment;
}

export type WebhookEnvironment = 'sandbox' | 'production';

/** What the webhooks of a service in `plaidEnv` say in their `environment` field. */
export function webhookEnvironmentOf(plaidEnv: 'simulator' | 'sandbox' | 'production'): WebhookEnvironment {
  return plaidEnv === 'production' ? 'production' : 'sandbox';
}

export type IntakeResult =
  | { status: 200; outcome: WebhookOutcome; eventId: string }
  | { status: 400; outcome: 'invalid'; message: string }
  | { status: 401; outcome: 'rejected' }
  | { status: 503; outcome: 'unavailable' };

const UNKNOWN = 'UNKNOWN';

/**
 * Verify, record, answer. The `webhook_events` row and, when it asks for a job, its `webhook_dispatch`
 * row commit in one statement (shared with concurrent deliveries: `WebhookRecorder`), so a 200 means
 * the work is durable; the job is made after the commit by the dispatcher (`WebhookDispatcher`); nothing
 * from an unverified delivery is ever written. Plaid sends no delivery id: a repeat is the same signed
 * token again, or the same item, type, code and body inside the window (for a sync webhook, only until
 * a run has started since: see `WebhookRecorder`).
 */
export async function receiveWebhook(
  deps: WebhookIntakeDeps,
  input: { rawBody: Uint8Array; verification: string | undefined },
): Promise<IntakeResult> {
  const { logger, metrics } = deps;
  let verified;
  try {
    verified = await deps.verify(input.rawBody, input.verification);
  } catch (error) {
    if (error instanceof WebhookVerificationError) {
      metrics.webhookSignatureRejected.inc({ reason: error.reason });
      metrics.plaidWebhooks.inc({ webhook_type: UNKNOWN, webhook_code: UNKNOWN, outcome: 'rejected' });
      logger.warn({ reason: error.reason, bytes: input.rawBody.byteLength }, 'webhook_rejected');
      return { status: 401, outcome: 'rejected' };
    }
    if (error instanceof VerificationKeyUnavailableError) {
      // Past the key-fetch budget, a flood of forged ids is the likely cause: a warning, not an error
      // per request (Plaid retries a genuine delivery once the budget allows a fetch again).
      if (error.code === KEY_FETCH_BUDGET_EXHAUSTED) {
        metrics.webhookSignatureRejected.inc({ reason: 'key_fetch_budget' });
        logger.warn({ bytes: input.rawBody.byteLength }, 'webhook_key_fetch_budget_exhausted');
      } else {
        metrics.webhookSignatureRejected.inc({ reason: 'key_unavailable' });
        logger.error({ plaidErrorCode: error.code }, 'webhook_key_unavailable');
      }
      return { status: 503, outcome: 'unavailable' };
    }
    throw error;
  }

  const text = Buffer.from(input.rawBody.buffer, input.rawBody.byteOffset, input.rawBody.byteLength).toString('utf8');
  let parsed;
  try {
    parsed = parseWebhook(text);
  } catch (error) {
    if (!(error instanceof InvalidWebhookBodyError)) throw error;
    metrics.plaidWebhooks.inc({ webhook_type: UNKNOWN, webhook_code: UNKNOWN, outcome: 'invalid' });
    logger.warn({ reason: error.message }, 'webhook_invalid');
    return { status: 400, outcome: 'invalid', message: error.message };
  }

  const { webhook_type: type, webhook_code: code, environment } = parsed.webhook;
  // Signed by Plaid, but for another environment's items (a sandbox webhook at a production service):
  // refused like a bad signature. Plaid puts `environment` in every body; one without it is taken.
  if (environment !== undefined && environment !== deps.environment) {
    metrics.webhookSignatureRejected.inc({ reason: 'environment' });
    metrics.plaidWebhooks.inc({ webhook_type: type, webhook_code: code, outcome: 'rejected' });
    logger.warn({ reason: 'environment', webhookEnvironment: environment, expected: deps.environment }, 'webhook_rejected');
    return { status: 401, outcome: 'rejected' };
  }
  const plaidItemId = parsed.webhook.item_id ?? null;
  const action = actionFor(parsed);
  // The verifier hashed exactly these bytes already.
  const sha256 = verified.bodySha256;
  // "The same delivery again" is decided on what Plaid signed, not on the token's text: a re-spelled
  // copy of a captured token, or its high-S twin, is still the same delivery.
  const verificationSha256 = verified.deliverySha256;

  const row = await deps.recorder.record({ type, code, plaidItemId, sha256, verificationSha256, text, action });
  if (row.status === 'processed' || row.status === 'received') deps.notify();

  const outcome = row.status === 'processed' || row.status === 'received' ? 'accepted' : row.status;
  metrics.plaidWebhooks.inc({ webhook_type: type, webhook_code: code, outcome });
  // Accepted webhooks are the hot path (thousands a second); the request line already records them.
  const level = outcome === 'accepted' ? 'debug' : 'info';
  logger[level]({ webhookType: type, webhookCode: code, plaidItemId, eventId: row.id, outcome }, 'webhook_received');
  return { status: 200, outcome: row.status, eventId: row.id };
}
