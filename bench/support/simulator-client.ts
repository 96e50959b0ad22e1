import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { SimulatorReply, SimulatorRequest } from './simulator-process.js';

export const BENCH_PLAID_CLIENT_ID = 'bench-client';
export const BENCH_PLAID_SECRET = 'bench-secret-0123456789';

export interface SimulatorChild {
  child: ChildProcess;
  url: string;
  createItem(transactionCount: number): Promise<{ itemId: string; accessToken: string }>;
  /** Items with a webhook URL, and the SYNC_UPDATES_AVAILABLE delivery the simulator signed for each. */
  createItems(count: number, transactionCount: number, webhook: string): Promise<Required<Pick<SimulatorReply, 'items' | 'webhooks'>>>;
  stop(): Promise<void>;
}

/** Forks the simulator process and waits until it listens. */
export async function startSimulatorChild(): Promise<SimulatorChild> {
  // BENCH_PROFILE_DIR: the simulator writes a V8 CPU profile there when it exits, as the service does.
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = fork(fileURLToPath(new URL('./simulator-process.ts', import.meta.url)), [], {
    execArgv: [...profile, '--import', 'tsx'],
    env: { ...process.env, BENCH_PLAID_CLIENT_ID, BENCH_PLAID_SECRET },
  });
  const next = async () => ((await once(child, 'message')) as [SimulatorReply])[0];
  const ask = async (request: SimulatorRequest) => {
    const reply = next();
    child.send(request);
    return reply;
  };
  const ready = await next();
  return {
    child,
    url: ready.url!,
    async createItem(transactionCount) {
      const reply = await ask({ type: 'create-item', transactionCount });
      return { itemId: reply.itemId!, accessToken: reply.accessToken! };
    },
    async createItems(count, transactionCount, webhook) {
      const reply = await ask({ type: 'create-items', count, transactionCount, webhook });
      return { items: reply.items!, webhooks: reply.webhooks! };
    },
    async stop() {
      if (!child.connected) return;
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
    },
  };
}
