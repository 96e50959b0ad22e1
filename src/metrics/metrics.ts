import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's metrics, on a registry of their own so that tests and several apps in one process
 * never share counters. Names and labels of the sync metrics are a contract with `grafana/` and `alerts/`.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    httpRequestsAborted: new Counter({
      name: 'http_requests_aborted_total',
      help: 'Requests whose client closed the connection before its body arrived whole (not in http_request_duration_seconds)',
      labelNames: ['method', 'route'] as const,
      registers: [registry],
    }),
    syncLatency: new Histogram({
      name: 'sync_latency_seconds',
      help: 'Duration of a product sync run',
      labelNames: ['product', 'trigger', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    syncErrors: new Counter({
      name: 'sync_error_total',
      help: 'Sync errors by product and provider error code',
      labelNames: ['product', 'error_code'] as const,
      registers: [registry],
    }),
    syncComplete: new Counter({
      name: 'sync_complete_total',
      help: 'Completed product sync runs',
      labelNames: ['product'] as const,
      registers: [registry],
    }),
    plaidWebhooks: new Counter({
      name: 'plaid_webhooks_total',
      help: 'Webhooks received, by type, code and outcome (accepted, duplicate, orphan, ignored, invalid, rejected)',
      labelNames: ['webhook_type', 'webhook_code', 'outcome'] as const,
      registers: [registry],
    }),
    webhookSignatureRejected: new Counter({
      name: 'plaid_webhook_signature_rejected_total',
      help: 'Webhooks refused because their Plaid-Verification signature did not verify',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    plaidApiRequests: new Counter({
      name: 'plaid_api_requests_total',
      help: 'Calls to the Plaid API by endpoint and outcome (ok or the Plaid error code)',
      labelNames: ['endpoint', 'outcome'] as const,
      registers: [registry],
    }),
    plaidApiDuration: new Histogram({
      name: 'plaid_api_request_duration_seconds',
      help: 'Duration of Plaid API calls by endpoint',
      labelNames: ['endpoint'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    appWebhookDeliveries: new Counter({
      name: 'app_webhook_deliveries_total',
      help: 'Notification delivery attempts to the app, by event and outcome (delivered, http_error, timeout, network_error)',
      labelNames: ['event', 'outcome'] as const,
      registers: [registry],
    }),
    appWebhookDeliverySeconds: new Histogram({
      name: 'app_webhook_delivery_seconds',
      help: 'Duration of one notification delivery attempt to the app, by event',
      labelNames: ['event'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    webhookIntakeBacklog: new Gauge({
      name: 'plaid_webhook_intake_backlog',
      help: 'Verified webhook deliveries this instance holds that are not yet written (waiting for a batch or being written), so not yet acknowledged',
      registers: [registry],
    }),
    workersPausedForIntake: new Counter({
      name: 'sync_workers_paused_seconds_total',
      help: 'Time this instance\'s workers took no new jobs because its webhook intake was under a burst',
      registers: [registry],
    }),
    // Gauges read from the database when Prometheus scrapes (collectors are attached by the workers).
    queueDepth: new Gauge({
      name: 'sync_queue_depth',
      help: 'Jobs waiting or running, by queue',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    queueOldestJobAge: new Gauge({
      name: 'sync_queue_oldest_job_age_seconds',
      help: 'Age of the oldest job not yet finished, by queue',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    itemsByStatus: new Gauge({
      name: 'plaid_items',
      help: 'Plaid items by status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
