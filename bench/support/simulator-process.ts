/**
 * The Plaid simulator as a process of its own (as Plaid is): a benchmark forks it, asks for items
 * over IPC, and reaches it over HTTP on loopback. For webhook benchmarks it also hands back the
 * SYNC_UPDATES_AVAILABLE deliveries it signed for those items instead of sending them, so the
 * benchmark decides when and how fast they arrive.
 */
import { startSimulatorServer, type DeliverWebhook } from '../../src/simulator/index.js';

export type SimulatorRequest =
  | { type: 'create-item'; transactionCount: number }
  | { type: 'create-items'; count: number; transactionCount: number; webhook: string };

export interface SignedWebhook {
  body: string;
  verification: string;
}

export interface SimulatorReply {
  type: 'ready' | 'item' | 'items';
  url?: string;
  itemId?: string;
  accessToken?: string;
  items?: { itemId: string; accessToken: string }[];
  webhooks?: SignedWebhook[];
}

const clientId = process.env.BENCH_PLAID_CLIENT_ID ?? 'bench-client';
const secret = process.env.BENCH_PLAID_SECRET ?? 'bench-secret-0123456789';
const captured: SignedWebhook[] = [];
// Deliveries are kept, signed as Plaid signs them, and acknowledged: nothing goes out by itself.
const deliverWebhook: DeliverWebhook = (_url, init) => {
  captured.push({ body: init.body, verification: init.headers['Plaid-Verification']! });
  return Promise.resolve({ status: 200 });
};
const server = await startSimulatorServer({ clientId, secret, seed: 42, port: 0, deliverWebhook });
const { control } = server.simulator;
const send = (message: SimulatorReply) => process.send?.(message);

/** Plaid sends SYNC_UPDATES_AVAILABLE only to an item synced once before: one tiny page marks that. */
async function touchSync(accessToken: string): Promise<void> {
  const response = await server.simulator.fetch(
    new Request(`${server.url}/transactions/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: clientId, secret, access_token: accessToken, count: 1 }),
    }),
  );
  if (response.status !== 200) throw new Error(`/transactions/sync answered ${response.status}`);
  await response.arrayBuffer();
}

async function createItems(count: number, transactionCount: number, webhook: string): Promise<SimulatorReply> {
  captured.length = 0;
  const items = [];
  for (let i = 0; i < count; i++) {
    // The products' account set, not Sandbox's full one: the figures stay comparable with earlier runs.
    const item = control.createItem({ institutionId: 'ins_109508', transactionCount, historyDays: 730, webhook, accountSet: 'products' });
    await touchSync(item.accessToken);
    control.markReady(item.itemId, 'historical');
    items.push({ itemId: item.itemId, accessToken: item.accessToken });
  }
  await control.idle();
  return { type: 'items', items, webhooks: captured.splice(0) };
}

process.on('message', (message: SimulatorRequest) => {
  if (message.type === 'create-item') {
    const item = control.createItem({ institutionId: 'ins_109508', transactionCount: message.transactionCount, historyDays: 730, accountSet: 'products' });
    send({ type: 'item', itemId: item.itemId, accessToken: item.accessToken });
  } else if (message.type === 'create-items') {
    void createItems(message.count, message.transactionCount, message.webhook).then(send);
  }
});
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});
send({ type: 'ready', url: server.url });
