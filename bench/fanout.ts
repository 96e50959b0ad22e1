/**
 * fan-out: N items (default 1,000) of 200 transactions each; the simulator's signed
 * SYNC_UPDATES_AVAILABLE for every one of them arrives at once. Reports the time until the last
 * delivery was acknowledged and until every item's run succeeded, and items/s, with the service's
 * default WORKER_CONCURRENCY; also the runs' own latency (p50, p95) and rate, from their rows, and
 * the Plaid calls per item, by endpoint; with pg_stat_statements on the server, PostgreSQL's time
 * per item statement by statement.
 *
 *   npm run bench -- fanout [--items 1000] [--transactions 200] [--concurrency 4]
 */
import { parseArgs } from 'node:util';
import { connectDatabase } from '../src/db/client.js';
import { sized } from './support/bench-options.js';
import { benchDatabase } from './support/bench-database.js';
import { countCpu, countPostgresCpu } from './support/cpu-usage.js';
import type { BenchResult } from './support/bench-result.js';
import { insertItems, startServiceChild } from './support/service-process.js';
import { deliver, syncedRuns } from './support/service-sync.js';
import { startSimulatorChild } from './support/simulator-client.js';
import { statementStats } from './support/statement-stats.js';

export async function run(argv: string[] = []): Promise<BenchResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      items: { type: 'string', default: String(sized(1_000, 20)) },
      transactions: { type: 'string', default: String(sized(200, 20)) },
      // Unset: the service's own default WORKER_CONCURRENCY, which is what the figure is about.
      concurrency: { type: 'string' },
    },
    allowPositionals: true,
  });
  const itemCount = Number(values.items);
  const transactions = Number(values.transactions);
  const database = await benchDatabase('fanout');
  const simulator = await startSimulatorChild();
  const handle = connectDatabase(database.url, { max: 2 });
  const env: Record<string, string> = values.concurrency ? { WORKER_CONCURRENCY: values.concurrency } : {};
  const service = await startServiceChild({ databaseUrl: database.url, plaidUrl: simulator.url, env });
  try {
    const { items, webhooks } = await simulator.createItems(itemCount, transactions, `${service.url}/webhooks/plaid`);
    await insertItems(handle.sql, service.vault, items);
    const cpu = await countCpu({ service: service.child.pid!, simulator: simulator.child.pid!, 'benchmark process': process.pid });
    const postgresCpu = await countPostgresCpu(handle.sql);
    const phase = await (await statementStats(handle.sql)).start();
    // Plaid calls counted from here: the runs' own (the start-up check and item creation are not).
    await fetch(`${simulator.url}/simulator/stats`, { method: 'DELETE' });
    const started = performance.now();
    await Promise.all(webhooks.map((webhook) => deliver(service.url, webhook)));
    const acknowledgedSeconds = (performance.now() - started) / 1000;
    await syncedRuns(handle.sql, itemCount, { everyMs: 50, timeoutMs: 30 * 60_000 });
    const seconds = (performance.now() - started) / 1000;
    const statements = await phase.stop('item', itemCount);
    const used = await cpu.stop();
    used['PostgreSQL CPU seconds'] = await postgresCpu.stop();
    // CPU per item, per process: where the two cores went (the limit the items/s target meets).
    const perItem = Object.fromEntries(
      Object.entries(used).filter(([name]) => name.endsWith('CPU seconds') || name.endsWith('waiting for a CPU, seconds'))
        .map(([name, seconds]) => [name.replace(/seconds$/, 'ms per item'), (seconds * 1000) / itemCount]),
    );
    const calls = ((await (await fetch(`${simulator.url}/simulator/stats`)).json()) as { calls: Record<string, number> }).calls;
    const perItemCalls = Object.fromEntries(Object.entries(calls).sort().map(([endpoint, n]) => [`${endpoint} calls per item`, n / itemCount]));
    const [stored] = await handle.sql<{ n: number }[]>`select count(*)::int as n from plaid_transactions`;
    if (stored!.n !== itemCount * transactions) throw new Error(`expected ${itemCount * transactions} transactions, stored ${stored!.n}`);
    // The runs alone, from the rows: their latency, and the rate from the first start to the last
    // finish (webhook intake, which the figure above includes, overlaps the first of them).
    const [runs] = await handle.sql<{ p50: number; p95: number; span: number }[]>`
      select percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at))::float8 * 1000 as p50,
        percentile_cont(0.95) within group (order by extract(epoch from finished_at - started_at))::float8 * 1000 as p95,
        extract(epoch from max(finished_at) - min(started_at))::float8 as span
      from sync_runs where product = 'transactions' and trigger = 'webhook' and status = 'succeeded'`;
    return {
      name: 'fanout',
      params: { items: itemCount, 'transactions per item': transactions, 'WORKER_CONCURRENCY': values.concurrency ? Number(values.concurrency) : 'service default' },
      figures: {
        'all acknowledged seconds': acknowledgedSeconds,
        'all synced seconds': seconds,
        'items/s': itemCount / seconds,
        'transactions/s': (itemCount * transactions) / seconds,
        'run p50 ms': runs!.p50,
        'run p95 ms': runs!.p95,
        'items/s, first run start to last run end': itemCount / runs!.span,
        ...perItem,
        // Each run: its /transactions/sync page(s) and one /accounts/get for every account's balance.
        'Plaid calls per item': Object.values(calls).reduce((sum, n) => sum + n, 0) / itemCount,
        ...perItemCalls,
        'machine cores busy (all processes)': used['machine cores busy (all processes)']!,
      },
      targets: { 'items/s': '>= 100' },
      statements: { 'fan-out (webhook and sync per item)': statements },
    };
  } finally {
    await service.stop();
    await handle.close();
    await simulator.stop();
    await database.stop();
  }
}
