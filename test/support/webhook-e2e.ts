import type { Sql } from '../../src/db/client.js';
import { startSimulatorServer, type DeliverWebhook, type SimulatorControl } from '../../src/simulator/index.js';
import { TEST_PLAID_CLIENT_ID, TEST_PLAID_SECRET } from './app.js';
import { Products } from 'plaid';
import type { CapturedWebhook } from './webhook-simulator.js';
import { eventually, insertItem } from './webhook-items.js';
import type { RunningTestService } from './webhook-service.js';

/**
 * The simulator as a separate HTTP server that delivers webhooks over real HTTP, timing each
 * acknowledgement. In capture mode deliveries are kept (with their signature) instead of sent, so a
 * test can replay them in any order and any number of times.
 */
export async function startDeliveringSimulator(seed = 21) {
  const deliveries = { latenciesMs: [] as number[], statuses: [] as number[], capture: null as CapturedWebhook[] | null };
  const deliverWebhook: DeliverWebhook = async (url, init) => {
    if (deliveries.capture) {
      deliveries.capture.push({ url, headers: init.headers, body: init.body });
      return { status: 200 };
    }
    const started = performance.now();
    const response = await fetch(url, init);
    await response.body?.cancel();
    deliveries.latenciesMs.push(performance.now() - started);
    deliveries.statuses.push(response.status);
    return { status: response.status };
  };
  const server = await startSimulatorServer({ clientId: TEST_PLAID_CLIENT_ID, secret: TEST_PLAID_SECRET, seed, port: 0, deliverWebhook });
  return { ...server, control: server.simulator.control, deliveries };
}

export interface StoredTransaction {
  id: string;
  amount: number;
  date: string;
  pending: boolean;
}

export async function storedTransactions(sql: Sql, itemId: string): Promise<StoredTransaction[]> {
  return sql<StoredTransaction[]>`
    select plaid_transaction_id as id, amount::float8 as amount, date::text as date, pending
    from plaid_transactions where item_id = ${itemId} order by plaid_transaction_id`;
}

export function truthTransactions(control: SimulatorControl, plaidItemId: string): StoredTransaction[] {
  return [...control.truth(plaidItemId)]
    .map((t) => ({ id: t.transaction_id, amount: t.amount, date: t.date, pending: t.pending }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Resolves true once the item's stored transactions equal the simulator's truth. */
export async function matchesTruth(sql: Sql, control: SimulatorControl, itemId: string, plaidItemId: string): Promise<true | undefined> {
  const stored = await storedTransactions(sql, itemId);
  const truth = truthTransactions(control, plaidItemId);
  return JSON.stringify(stored) === JSON.stringify(truth) ? true : undefined;
}

/** No webhook waiting for its job (the inbox), no sync job waiting or running, in any instance. */
export async function syncQueuesIdle(sql: Sql): Promise<true | undefined> {
  const [row] = await sql<{ open: number }[]>`
    select (select count(*)::int from webhook_dispatch)
      + (select count(*)::int from pgboss.job where name like 'sync-%' and state < 'completed') as open`;
  return row!.open === 0 ? true : undefined;
}

/**
 * `count` items linked at the simulator with the service's webhook address, stored, synced once
 * (Plaid sends SYNC_UPDATES_AVAILABLE only to items synced before) and the queues idle again.
 */
export async function syncedItems(
  service: RunningTestService,
  control: SimulatorControl,
  options: { count: number; transactionCount: number },
) {
  const items = await Promise.all(
    Array.from({ length: options.count }, async () => {
      const created = control.createItem({ products: [Products.Transactions], webhook: `${service.url}/webhooks/plaid`, transactionCount: options.transactionCount });
      const id = await insertItem(service.deps, { plaidItemId: created.itemId, accessToken: created.accessToken });
      await service.deps.syncs.request({ itemId: id, product: 'transactions', trigger: 'initial' });
      return { ...created, id };
    }),
  );
  for (const item of items) await eventually(() => matchesTruth(service.deps.sql, control, item.id, item.itemId), 30_000, 'initial sync');
  await eventually(() => syncQueuesIdle(service.deps.sql), 10_000, 'idle queues');
  return items;
}
