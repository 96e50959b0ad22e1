/**
 * memory: peak RSS of the service process (src/main.ts, spawned as in production) while it syncs
 * one item of 100,000 and one of 1,000,000 transactions, each in a fresh process, triggered by the
 * simulator's signed SYNC_UPDATES_AVAILABLE webhook. The webhook arrives as Plaid's retries can
 * bring it, several copies at once (one is processed, the rest are duplicates): their signature checks
 * come together, so the intake's signature worker thread starts as after a burst, and its memory is
 * in the peak (the threads before and after say whether it did). Peak is the kernel's VmHWM for the
 * process; the idle figure is VmRSS once it listens.
 *
 *   npm run bench -- memory [--sizes 100000,1000000]
 */
import { parseArgs } from 'node:util';
import { connectDatabase } from '../src/db/client.js';
import { isSmoke } from './support/bench-options.js';
import { processCpuSeconds } from './support/cpu-usage.js';
import { benchDatabase } from './support/bench-database.js';
import type { BenchResult } from './support/bench-result.js';
import { insertItems, startServiceChild } from './support/service-process.js';
import { deliver, syncedRuns } from './support/service-sync.js';
import { startSimulatorChild } from './support/simulator-client.js';

interface SizeResult {
  idleMb: number;
  peakMb: number;
  seconds: number;
  /** The service process's CPU over the sync (`npm start`'s runtime settings, unlike the sync benchmark's engine). */
  serviceCpuSeconds: number;
  threadsBefore: number;
  threadsAfter: number;
}

/** Copies of the webhook delivered at once. */
const COPIES = 8;

async function measure(size: number): Promise<SizeResult> {
  const database = await benchDatabase('memory');
  const simulator = await startSimulatorChild();
  const handle = connectDatabase(database.url, { max: 2 });
  const service = await startServiceChild({ databaseUrl: database.url, plaidUrl: simulator.url });
  try {
    const { items, webhooks } = await simulator.createItems(1, size, `${service.url}/webhooks/plaid`);
    await insertItems(handle.sql, service.vault, items);
    const idle = await service.rss();
    const cpuBefore = await processCpuSeconds(service.child.pid!);
    const started = performance.now();
    const threadsBefore = await service.threads();
    await Promise.all(Array.from({ length: COPIES }, () => deliver(service.url, webhooks[0]!)));
    await syncedRuns(handle.sql, 1, { everyMs: 200, timeoutMs: 30 * 60_000 });
    const threadsAfter = await service.threads();
    const seconds = (performance.now() - started) / 1000;
    const serviceCpuSeconds = (await processCpuSeconds(service.child.pid!)) - cpuBefore;
    const [stored] = await handle.sql<{ n: number }[]>`select count(*)::int as n from plaid_transactions`;
    if (stored!.n !== size) throw new Error(`expected ${size} transactions, stored ${stored!.n}`);
    return { idleMb: idle.nowMb, peakMb: (await service.rss()).peakMb, seconds, serviceCpuSeconds, threadsBefore, threadsAfter };
  } finally {
    await service.stop();
    await handle.close();
    await simulator.stop();
    await database.stop();
  }
}

export async function run(argv: string[] = []): Promise<BenchResult> {
  const { values } = parseArgs({ args: argv, options: { sizes: { type: 'string' } }, allowPositionals: true });
  const sizes = values.sizes?.split(',').map(Number) ?? (isSmoke() ? [1_000, 5_000] : [100_000, 1_000_000]);
  if (sizes.length < 1 || sizes.length > 2 || sizes.some((size) => !Number.isInteger(size) || size < 1)) {
    throw new Error(`--sizes takes one or two transaction counts (small,large), got ${values.sizes}`);
  }
  // One size: measured once and reported as both (the ratio is then 1 by construction).
  const [small, large = small] = sizes as [number, number?];
  const a = await measure(small);
  const b = large === small ? a : await measure(large);
  return {
    name: 'memory',
    params: { small, large },
    figures: {
      'idle RSS MB (small run)': a.idleMb,
      'peak RSS MB, small': a.peakMb,
      'sync seconds, small': a.seconds,
      'service CPU seconds, small': a.serviceCpuSeconds,
      'idle RSS MB (large run)': b.idleMb,
      'peak RSS MB, large': b.peakMb,
      'sync seconds, large': b.seconds,
      'service CPU seconds, large': b.serviceCpuSeconds,
      'transactions/s through the service, large': large / b.seconds,
      'peak ratio large / small': b.peakMb / a.peakMb,
      'service threads before the deliveries, large': b.threadsBefore,
      'service threads after the sync, large': b.threadsAfter,
    },
    targets: { 'peak RSS MB, large': '<= 250', 'peak ratio large / small': '<= 1.3' },
  };
}
