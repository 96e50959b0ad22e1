import { Hono } from 'hono';
import type { AppDeps } from '../app.js';
import { AppError, UnauthorizedError } from '../http/errors.js';
import { rawHeader, readRawBody } from '../http/raw-body.js';
import { VerificationKeyCache, plaidKeyFetcher } from '../webhooks/verification-keys.js';
import { receiveWebhook, webhookEnvironmentOf } from '../webhooks/webhook-intake.js';
import { createWebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import { WebhookRecorder } from '../webhooks/webhook-recorder.js';
import { createWebhookVerifier } from '../webhooks/webhook-verifier.js';

/**
 * `POST /webhooks/plaid` (contract): the raw bytes are read before anything parses them, because the
 * signature covers exactly those bytes. 200 once recorded, 401 for a bad signature, 400 for a body
 * that is not a webhook, 413 past the size limit.
 */
export function webhookRoutes(
  deps: Pick<AppDeps, 'config' | 'sql' | 'logger' | 'metrics' | 'plaid' | 'queue' | 'webhookDispatcher' | 'intakeBursts' | 'signatureChecker'>,
) {
  const verify = createWebhookVerifier({ keys: new VerificationKeyCache({ fetchKey: plaidKeyFetcher(deps.plaid) }), signatures: deps.signatureChecker });
  const recorder = new WebhookRecorder({
    sql: deps.sql, dedupeWindowSeconds: deps.config.webhookDedupeWindowSeconds, bursts: deps.intakeBursts, backlog: deps.metrics.webhookIntakeBacklog,
  });
  // Makes the jobs of what the recorder committed; the queue service's recovery sweeps what it leaves.
  const dispatcher = deps.webhookDispatcher ?? createWebhookDispatcher(deps, deps.intakeBursts);
  const intake = {
    logger: deps.logger, metrics: deps.metrics, verify, recorder, notify: () => dispatcher.wake(),
    environment: webhookEnvironmentOf(deps.config.plaid.env),
  };

  return new Hono().post('/webhooks/plaid', async (c) => {
    const rawBody = await readRawBody(c, deps.config.webhookMaxBodyBytes);
    const result = await receiveWebhook(intake, { rawBody, verification: rawHeader(c, 'plaid-verification') });
    switch (result.status) {
      case 200:
        return c.json({ received: true, outcome: result.outcome }, 200);
      case 400:
        throw new AppError(400, 'invalid_webhook', result.message);
      case 401:
        throw new UnauthorizedError('webhook signature did not verify');
      case 503:
        throw new AppError(503, 'verification_unavailable', 'the webhook could not be verified now; retry later');
    }
  });
}
