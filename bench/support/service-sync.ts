import type { Sql } from '../../src/db/client.js';
import { until } from './bench-options.js';
import type { SignedWebhook } from './simulator-process.js';

/** Posts one signed delivery to the service as Plaid would; throws unless it is acknowledged. */
export async function deliver(serviceUrl: string, webhook: SignedWebhook): Promise<void> {
  const response = await fetch(`${serviceUrl}/webhooks/plaid`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'plaid-verification': webhook.verification },
    body: webhook.body,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${text}`);
}

/** Resolves once `count` transactions runs triggered by webhooks have succeeded; fails on a failed run. */
export async function syncedRuns(sql: Sql, count: number, options: { everyMs?: number; timeoutMs?: number } = {}): Promise<void> {
  await until(
    async () => {
      const [row] = await sql<{ succeeded: number; failed: number }[]>`
        select count(*) filter (where status = 'succeeded')::int as succeeded, count(*) filter (where status = 'failed')::int as failed
        from sync_runs where product = 'transactions' and trigger = 'webhook'`;
      if (row!.failed > 0) throw new Error(`${row!.failed} sync runs failed`);
      return row!.succeeded >= count;
    },
    { what: `${count} synced items`, ...options },
  );
}
