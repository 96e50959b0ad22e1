/**
 * The Plaid simulator as a process of its own (as Plaid is): the benchmark forks it, asks for an
 * item over IPC, and reaches it over HTTP on loopback.
 */
import { startSimulatorServer } from '../../src/simulator/index.js';

export interface SimulatorRequest {
  type: 'create-item';
  transactionCount: number;
}

export interface SimulatorReply {
  type: 'ready' | 'item';
  url?: string;
  itemId?: string;
  accessToken?: string;
}

const clientId = process.env.BENCH_PLAID_CLIENT_ID ?? 'bench-client';
const secret = process.env.BENCH_PLAID_SECRET ?? 'bench-secret-0123456789';
const server = await startSimulatorServer({ clientId, secret, seed: 42, port: 0 });
const send = (message: SimulatorReply) => process.send?.(message);
process.on('message', (message: SimulatorRequest) => {
  if (message.type !== 'create-item') return;
  const item = server.simulator.control.createItem({ institutionId: 'ins_109508', transactionCount: message.transactionCount, historyDays: 730 });
  send({ type: 'item', itemId: item.itemId, accessToken: item.accessToken });
});
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});
send({ type: 'ready', url: server.url });
