/**
 * sync: one item with N transactions (default 100,000) served by the simulator over HTTP on
 * loopback, synced through the real engine into PostgreSQL. Same-run baselines:
 *   (a) the same pages fetched and parsed, nothing written;
 *   (b) the same rows written alone with one plain COPY into plaid_transactions;
 *   (c) the naive way, one upsert statement per row over four connections (a sample of the rows).
 * efficiency = (t_fetch + t_copy) / t_sync: 1.0 means the engine costs what fetching and writing
 * cost apart; above 1.0 it overlaps them. The sync writes the change feed (one row per transaction,
 * by migration 0012's triggers); a second item of the same size is then synced with the feed's
 * triggers off, so both figures come from the same run. Baseline (b) writes the feed too. With
 * pg_stat_statements on the server, the sync's statements are reported with their time.
 *
 *   npm run bench -- sync [--transactions 100000] [--per-row 20000]
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { PlaidApi } from 'plaid';
import { connectDatabase, type Sql } from '../src/db/client.js';
import { plaidItems } from '../src/db/schema/index.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { createPlaidClient } from '../src/plaid/client.js';
import { createSyncEngine } from '../src/sync/sync-engine.js';
import { copyField } from '../src/sync/transaction-staging.js';
import { parseKeyring } from '../src/vault/keyring.js';
import { TokenVault } from '../src/vault/token-vault.js';
import { sized } from './support/bench-options.js';
import { countCpu, countPostgresCpu } from './support/cpu-usage.js';
import { benchDatabase } from './support/bench-database.js';
import type { BenchResult } from './support/bench-result.js';
import { setChangeFeed } from './support/change-feed-switch.js';
import { statementStats } from './support/statement-stats.js';
import { BENCH_PLAID_CLIENT_ID, BENCH_PLAID_SECRET, startSimulatorChild } from './support/simulator-client.js';

const COLUMNS = [
  'plaid_transaction_id', 'account_id', 'item_id', 'amount', 'iso_currency_code', 'unofficial_currency_code', 'date',
  'authorized_date', 'name', 'merchant_name', 'pending', 'pending_transaction_id', 'category_primary', 'category_detailed',
  'payment_channel',
];

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

/** The synced rows in COPY text format, exactly what baseline (b) writes back. */
async function exportRows(sql: Sql, itemId: string): Promise<Buffer> {
  const rows = await sql.unsafe<Record<string, string | null>[]>(
    `select ${COLUMNS.map((c) => `${c}::text`).join(', ')} from plaid_transactions where item_id = $1 order by plaid_transaction_id`,
    [itemId],
  );
  return Buffer.from(rows.map((row) => `${COLUMNS.map((c) => copyField(row[c])).join('\t')}\n`).join(''));
}

async function emptyTable(sql: Sql, itemId: string): Promise<void> {
  await sql`delete from plaid_transactions where item_id = ${itemId}`;
  await sql`vacuum analyze plaid_transactions`;
}

/** Baseline (b): one plain COPY of the same rows into the indexed table, foreign keys and all. */
async function copyAlone(sql: Sql, rows: Buffer): Promise<number> {
  const started = performance.now();
  const stream = await sql.unsafe(`copy plaid_transactions (${COLUMNS.join(', ')}) from stdin`).writable();
  // In chunks of whole lines, as a client streaming pages would send them; the backpressure is honoured.
  for (let start = 0; start < rows.length; ) {
    const end = rows.indexOf(10, Math.min(rows.length - 1, start + 256 * 1024)) + 1 || rows.length;
    if (!stream.write(rows.subarray(start, end))) await once(stream, 'drain');
    start = end;
  }
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => resolve());
  });
  return (performance.now() - started) / 1000;
}

/** Baseline (c): one `insert ... on conflict do update` per row, four connections, as Plaid's quickstart writes. */
async function perRow(sql: Sql, rows: Buffer, limit: number): Promise<{ seconds: number; rows: number }> {
  const lines = rows.toString('utf8').split('\n').filter((l) => l !== '').slice(0, limit);
  const values = lines.map((line) => line.split('\t').map((v) => (v === '\\N' ? null : v)));
  const statement = `insert into plaid_transactions (${COLUMNS.join(', ')})
    values ($1, $2::uuid, $3::uuid, $4::numeric, $5, $6, $7::date, $8::date, $9, $10, $11::boolean, $12, $13, $14, $15)
    on conflict (plaid_transaction_id) do update set ${COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}, updated_at = now()`;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < values.length) await sql.unsafe(statement, values[next++], { prepare: true });
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return { seconds: (performance.now() - started) / 1000, rows: values.length };
}

export async function run(argv: string[] = []): Promise<BenchResult> {
  const { values } = parseArgs({
    args: argv,
    options: { transactions: { type: 'string', default: String(sized(100_000, 2_000)) }, 'per-row': { type: 'string', default: String(sized(20_000, 500)) } },
    allowPositionals: true,
  });
  const count = Number(values.transactions);
  const database = await benchDatabase('sync');
  const simulator = await startSimulatorChild();
  const handle = connectDatabase(database.url, { max: 10 });
  try {
    const plaid = createPlaidClient({ env: 'simulator', clientId: BENCH_PLAID_CLIENT_ID, secret: BENCH_PLAID_SECRET, baseUrl: simulator.url, timeoutMs: 60_000 });
    const vault = new TokenVault(parseKeyring(`bench:${Buffer.alloc(32, 7).toString('base64')}`));
    // The simulator's first pages run cold (JIT, lazy structures): a smaller item is paged once first.
    const warmup = await simulator.createItem(Math.min(count, 20_000));
    await fetchOnly(plaid, warmup.accessToken);
    const linkItem = async () => {
      const created = await simulator.createItem(count);
      const sealed = vault.encrypt(created.accessToken, created.itemId);
      const [row] = await handle.db
        .insert(plaidItems)
        .values({ userId: randomUUID(), plaidItemId: created.itemId, institutionId: 'ins_109508', accessTokenCiphertext: sealed.ciphertext, accessTokenKeyId: sealed.keyId, product: 'transactions', products: ['transactions'], entitledProducts: ['transactions'] })
        .returning({ id: plaidItems.id });
      return { simItem: created, itemId: row!.id };
    };
    const { simItem, itemId } = await linkItem();

    const phases = { lastPage: 0, beforeCommit: 0 };
    const engine = createSyncEngine({
      db: handle.db, sql: handle.sql, plaid, vault, logger: createLogger('warn'), metrics: createMetrics(),
      hooks: { afterPage: () => void (phases.lastPage = performance.now()), beforeCommit: () => void (phases.beforeCommit = performance.now()) },
    });
    const statements = await statementStats(handle.sql);
    const cpu = await countCpu({ engine: process.pid, simulator: simulator.child.pid! });
    const postgresCpu = await countPostgresCpu(handle.sql);
    const syncStatements = await statements.start();
    const started = performance.now();
    const outcome = await engine.run({ itemId, product: 'transactions', trigger: 'backfill' });
    const syncSeconds = (performance.now() - started) / 1000;
    const syncStatementShares = await syncStatements.stop('sync', 1);
    const syncCpu = await cpu.stop();
    syncCpu['PostgreSQL CPU seconds'] = await postgresCpu.stop();
    if (outcome.status !== 'succeeded') throw new Error(`sync failed: ${JSON.stringify(outcome)}`);
    const [feed] = await handle.sql<{ n: number }[]>`select count(*)::int as n from change_feed where kind = 'transaction.added'`;
    if (feed!.n !== count) throw new Error(`expected ${count} transaction.added changes, found ${feed!.n}`);

    // The same sync of a second item of the same size, with the feed's triggers off (its own
    // phases would overwrite the first run's, so those are kept first).
    const phasesWithFeed = { ...phases };
    const withoutFeed = await linkItem();
    await setChangeFeed(handle.sql, false);
    const noFeedStarted = performance.now();
    const noFeedOutcome = await engine.run({ itemId: withoutFeed.itemId, product: 'transactions', trigger: 'backfill' });
    const noFeedSeconds = (performance.now() - noFeedStarted) / 1000;
    await setChangeFeed(handle.sql, true);
    if (noFeedOutcome.status !== 'succeeded') throw new Error(`sync without the feed failed: ${JSON.stringify(noFeedOutcome)}`);
    await engine.stop(0);
    await handle.sql`delete from plaid_transactions where item_id = ${withoutFeed.itemId}`;

    // (a) after the sync, with the simulator as warm as the sync found it.
    const fetchStarted = performance.now();
    const fetched = await fetchOnly(plaid, simItem.accessToken);
    const fetchSeconds = (performance.now() - fetchStarted) / 1000;
    const [stored] = await handle.sql<{ n: number }[]>`select count(*)::int as n from plaid_transactions where item_id = ${itemId}`;
    if (stored!.n !== count || fetched !== count) throw new Error(`expected ${count} transactions, stored ${stored!.n}, fetched ${fetched}`);

    // (b) and (c) write the rows the sync stored, into the same table emptied again.
    const rows = await exportRows(handle.sql, itemId);
    await emptyTable(handle.sql, itemId);
    const copyCpu = await countPostgresCpu(handle.sql);
    const copySeconds = await copyAlone(handle.sql, rows);
    const copyPostgresCpu = await copyCpu.stop();
    await emptyTable(handle.sql, itemId);
    // What the two foreign-key triggers cost of (b): the same COPY with them off (superuser only).
    await handle.sql`alter table plaid_transactions disable trigger all`;
    const copyNoFkSeconds = await copyAlone(handle.sql, rows);
    await handle.sql`alter table plaid_transactions enable trigger all`;
    await emptyTable(handle.sql, itemId);
    const naive = await perRow(handle.sql, rows, Number(values['per-row']));

    const syncRate = count / syncSeconds;
    const perRowRate = naive.rows / naive.seconds;
    return {
      name: 'sync',
      params: { transactions: count, pages: outcome.counts.pages, 'per-row sample': naive.rows },
      figures: {
        'sync seconds': syncSeconds,
        'fetch and stage seconds': (phasesWithFeed.lastPage - started) / 1000,
        'apply seconds': (phasesWithFeed.beforeCommit - phasesWithFeed.lastPage) / 1000,
        'commit seconds': syncSeconds - (phasesWithFeed.beforeCommit - started) / 1000,
        'transactions/s': syncRate,
        'transactions/s without the feed (same run)': count / noFeedSeconds,
        'feed cost (1 - with / without)': 1 - syncRate / (count / noFeedSeconds),
        '(a) fetch-only seconds': fetchSeconds,
        '(a) fetch-only transactions/s': count / fetchSeconds,
        '(b) COPY-alone seconds': copySeconds,
        '(b) COPY-alone rows/s': count / copySeconds,
        '(b) COPY-alone PostgreSQL CPU seconds': copyPostgresCpu,
        '(b) without FK triggers, rows/s': count / copyNoFkSeconds,
        '(c) per-row upsert rows/s': perRowRate,
        ...syncCpu,
        efficiency: (fetchSeconds + copySeconds) / syncSeconds,
        'ratio to COPY alone': syncRate / (count / copySeconds),
        'speed-up over per-row': syncRate / perRowRate,
        // No sync outruns reading its pages alone: the largest speed-up this run allowed.
        'ceiling: fetch-only over per-row': count / fetchSeconds / perRowRate,
        // CPU-seconds the sync used across the three processes, against the time it took.
        'sync CPU seconds (engine + simulator + PostgreSQL)':
          syncCpu['engine CPU seconds']! + syncCpu['simulator CPU seconds']! + syncCpu['PostgreSQL CPU seconds'],
      },
      targets: { 'transactions/s': '>= 30000', efficiency: '>= 0.9', 'speed-up over per-row': '>= 10' },
      statements: { 'sync (with the feed)': syncStatementShares },
    };
  } finally {
    await handle.close();
    await simulator.stop();
    await database.stop();
  }
}
