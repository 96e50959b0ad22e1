/**
 * sync: one item with N transactions (default 100,000) served by the simulator over HTTP on
 * loopback, synced through the real engine into PostgreSQL. Reports transactions/s, peak RSS and,
 * measured in the same run, the time to fetch and parse the same pages alone.
 *
 *   npm run bench -- sync [--transactions 100000]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { PlaidApi } from 'plaid';
import { randomUUID } from 'node:crypto';
import { connectDatabase } from '../src/db/client.js';
import { plaidAccounts, plaidItems } from '../src/db/schema/index.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { createPlaidClient } from '../src/plaid/client.js';
import { createSyncEngine } from '../src/sync/sync-engine.js';
import { parseKeyring } from '../src/vault/keyring.js';
import { TokenVault } from '../src/vault/token-vault.js';
import { benchDatabase } from './support/bench-database.js';
import type { BenchResult } from './support/bench-result.js';
import type { SimulatorReply } from './support/simulator-process.js';

const CLIENT_ID = 'bench-client';
const SECRET = 'bench-secret-0123456789';

async function startSimulator(): Promise<{ child: ChildProcess; url: string; createItem(n: number): Promise<{ itemId: string; accessToken: string }> }> {
  const child = fork(fileURLToPath(new URL('./support/simulator-process.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_PLAID_CLIENT_ID: CLIENT_ID, BENCH_PLAID_SECRET: SECRET },
  });
  const next = async () => ((await once(child, 'message')) as [SimulatorReply])[0];
  const ready = await next();
  return {
    child,
    url: ready.url!,
    async createItem(transactionCount) {
      child.send({ type: 'create-item', transactionCount });
      const reply = await next();
      return { itemId: reply.itemId!, accessToken: reply.accessToken! };
    },
  };
}

/** Baseline (a): the same pages fetched and parsed, nothing written. */
async function fetchOnly(plaid: PlaidApi, accessToken: string): Promise<number> {
  let cursor: string | undefined;
  let rows = 0;
  for (;;) {
    const { data } = await plaid.transactionsSync({ access_token: accessToken, cursor, count: 500 });
    rows += data.added.length + data.modified.length + data.removed.length;
    cursor = data.next_cursor;
    if (!data.has_more) return rows;
  }
}

export async function run(argv: string[] = []): Promise<BenchResult> {
  const { values } = parseArgs({ args: argv, options: { transactions: { type: 'string', default: '100000' } }, allowPositionals: true });
  const count = Number(values.transactions);
  const database = await benchDatabase('sync');
  const simulator = await startSimulator();
  const handle = connectDatabase(database.url, { max: 10 });
  try {
    const plaid = createPlaidClient({ env: 'simulator', clientId: CLIENT_ID, secret: SECRET, baseUrl: simulator.url, timeoutMs: 60_000 });
    const vault = new TokenVault(parseKeyring(`bench:${Buffer.alloc(32, 7).toString('base64')}`));
    // The simulator's first pages run cold (JIT, lazy structures): a smaller item is paged once first.
    const warmup = await simulator.createItem(Math.min(count, 20_000));
    await fetchOnly(plaid, warmup.accessToken);
    const simItem = await simulator.createItem(count);
    const userId = randomUUID();
    const sealed = vault.encrypt(simItem.accessToken, simItem.itemId);
    const [item] = await handle.db
      .insert(plaidItems)
      .values({ userId, plaidItemId: simItem.itemId, institutionId: 'ins_109508', accessTokenCiphertext: sealed.ciphertext, accessTokenKeyId: sealed.keyId, product: 'transactions', products: ['transactions'] })
      .returning({ id: plaidItems.id });
    const { data } = await plaid.accountsGet({ access_token: simItem.accessToken });
    await handle.db.insert(plaidAccounts).values(
      data.accounts.map((a) => ({ itemId: item!.id, userId, plaidAccountId: a.account_id, product: 'transactions' as const, name: a.name, type: a.type, subtype: a.subtype })),
    );

    const phases = { lastPage: 0, beforeCommit: 0 };
    const engine = createSyncEngine({
      db: handle.db, sql: handle.sql, plaid, vault, logger: createLogger('warn'), metrics: createMetrics(),
      hooks: { afterPage: () => void (phases.lastPage = performance.now()), beforeCommit: () => void (phases.beforeCommit = performance.now()) },
    });
    const rssBefore = process.memoryUsage.rss();
    let sampledPeak = rssBefore;
    const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, process.memoryUsage.rss())), 50);
    const started = performance.now();
    const outcome = await engine.run({ itemId: item!.id, product: 'transactions', trigger: 'backfill' });
    const syncSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    if (outcome.status !== 'succeeded') throw new Error(`sync failed: ${JSON.stringify(outcome)}`);
    const rssAfterSync = process.resourceUsage().maxRSS / 1024;
    // Baseline (a) after the sync, so the sync's RSS figures are its own.
    const fetchStarted = performance.now();
    const fetched = await fetchOnly(plaid, simItem.accessToken);
    const fetchSeconds = (performance.now() - fetchStarted) / 1000;

    const [stored] = await handle.sql<{ n: number }[]>`select count(*)::int as n from plaid_transactions where item_id = ${item!.id}`;
    if (stored!.n !== count || fetched !== count) throw new Error(`expected ${count} transactions, stored ${stored!.n}, fetched ${fetched}`);
    await engine.stop(0);

    return {
      name: 'sync',
      params: { transactions: count, pages: outcome.counts.pages },
      figures: {
        'sync seconds': syncSeconds,
        'fetch and stage seconds': (phases.lastPage - started) / 1000,
        'apply seconds': (phases.beforeCommit - phases.lastPage) / 1000,
        'commit seconds': syncSeconds - (phases.beforeCommit - started) / 1000,
        'transactions/s': count / syncSeconds,
        'fetch-only seconds (a)': fetchSeconds,
        'fetch-only transactions/s': count / fetchSeconds,
        'sync / fetch-only time': syncSeconds / fetchSeconds,
        'RSS MB before the sync': rssBefore / 2 ** 20,
        'peak RSS MB (sampled during sync)': sampledPeak / 2 ** 20,
        'max RSS MB (process, through the sync)': rssAfterSync,
      },
      targets: { 'transactions/s': '>= 30000' },
    };
  } finally {
    await handle.close();
    simulator.child.disconnect();
    await once(simulator.child, 'exit');
    await database.stop();
  }
}
