import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppDeps } from '../app.js';
import { AppError, UnauthorizedError } from '../http/errors.js';
import { VerificationKeyCache, plaidKeyFetcher } from '../webhooks/verification-keys.js';
import { receiveWebhook } from '../webhooks/webhook-intake.js';
import { WebhookRecorder } from '../webhooks/webhook-recorder.js';
import { createWebhookVerifier } from '../webhooks/webhook-verifier.js';

/**
 * `POST /webhooks/plaid` (contract): the raw bytes are read before anything parses them, because the
 * signature covers exactly those bytes. 200 once recorded, 401 for a bad signature, 400 for a body
 * that is not a webhook, 413 past the size limit.
 */
export function webhookRoutes(deps: Pick<AppDeps, 'config' | 'sql' | 'logger' | 'metrics' | 'plaid' | 'queue'>) {
  const verify = createWebhookVerifier({ keys: new VerificationKeyCache({ fetchKey: plaidKeyFetcher(deps.plaid) }) });
  const recorder = new WebhookRecorder({ sql: deps.sql, enqueuer: deps.queue, dedupeWindowSeconds: deps.config.webhookDedupeWindowSeconds });
  const intake = { logger: deps.logger, metrics: deps.metrics, verify, recorder, notify: () => deps.queue.notify() };

  return new Hono().post(
    '/webhooks/plaid',
    bodyLimit({
      maxSize: deps.config.webhookMaxBodyBytes,
      onError: () => {
        throw new AppError(413, 'payload_too_large', `webhook bodies are limited to ${deps.config.webhookMaxBodyBytes} bytes`);
      },
    }),
    async (c) => {
      const rawBody = new Uint8Array(await c.req.arrayBuffer());
      const result = await receiveWebhook(intake, { rawBody, verification: c.req.header('plaid-verification') });
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
    },
  );
}
